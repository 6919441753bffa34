import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { systemClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import {
  createMessengerNode,
  type MessengerNode,
} from '../../src/messenger/create-messenger-node.js';
import { createNodeCredentials } from '../../src/node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import type { Participant } from '../../src/protocol/schemas/index.js';
import { createSigner, generateSigningKeyPair } from '../../src/protocol/signatures/index.js';
import { createRoutingService, loadRoutingTable } from '../../src/routing/index.js';
import { freeLoopbackPort } from './notice-ports.js';

export const NOTICE_OPERATOR_ID = 'mts';

const PLAN = [
  'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  '916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
].join('\n');

export interface NoticeNetwork {
  operator: OperatorNode;
  operatorDb: Database;
  messengers: Array<{ id: string; node: MessengerNode; db: Database }>;
  /** Requests the operator's transport made and the time they took (the messenger's work, mostly). */
  requests: { count: number; totalMs: number; maxMs: number };
  /** Starts delivery (operator outbox worker); the messengers listen already. */
  startDelivery(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An operator node and `messengerIds.length` messenger nodes in this process,
 * each on its own PostgreSQL schema (already migrated and seeded by the
 * caller), talking over loopback HTTP with real RFC 9421 signatures — the
 * production wiring (createOperatorNode / createMessengerNode), silent logs.
 * The operator's outbox runs `concurrency` slots of up to 1,000 notices,
 * holding its claims as `claimHold` says (the node's default when absent).
 */
export async function startNoticeNetwork(options: {
  url: string;
  operatorSchema: string;
  messengerSchemas: Record<string, string>;
  concurrency: number;
  poolSize: number;
  claimHold?: 'transaction' | 'lease' | undefined;
}): Promise<NoticeNetwork> {
  const ids = [NOTICE_OPERATOR_ID, ...Object.keys(options.messengerSchemas)];
  const keys = Object.fromEntries(ids.map((id) => [id, generateSigningKeyPair(`${id}-key-1`)]));
  const ports = Object.fromEntries(
    await Promise.all(ids.map(async (id) => [id, await freeLoopbackPort()] as const)),
  );
  const participants: Participant[] = ids.map((id) => ({
    id,
    role: id === NOTICE_OPERATOR_ID ? 'operator' : 'messenger',
    name: id.toUpperCase(),
    ...(id === NOTICE_OPERATOR_ID ? { inn: '7740000076' } : {}),
    baseUrl: `http://127.0.0.1:${ports[id]}`,
    keys: [keys[id]!.publicJwk],
    agreement: true,
  }));
  const credentials = (id: string) =>
    createNodeCredentials({
      selfId: id,
      signer: createSigner(keys[id]!.privateJwk),
      participants,
      numberHashKey: 'bench-number-hash-key-0123456789',
      internalToken: 'bench-internal-token-0123456789',
    });
  const config = (schema: string, outboxConcurrency: number) =>
    loadConfig({
      env: {},
      overrides: {
        log: { level: 'silent' },
        database: { url: options.url, schema, poolSize: options.poolSize },
        outbox: {
          concurrency: outboxConcurrency,
          pollIntervalMs: 200,
          ...(options.claimHold ? { claimHold: options.claimHold } : {}),
        },
      },
    });
  const open = (schema: string) =>
    createPostgresDatabase({
      url: options.url,
      schema,
      poolSize: options.poolSize,
      applicationName: 'idbridge-bench-notice',
    });
  const log = createSilentLogger();
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-notice-bench-'));
  const planFile = join(dir, 'plan.csv');
  await writeFile(planFile, PLAN);
  const routing = await createRoutingService({
    load: async () => (await loadRoutingTable({ planFiles: [planFile], participants })).table,
  });

  const messengers: NoticeNetwork['messengers'] = [];
  for (const [id, schema] of Object.entries(options.messengerSchemas)) {
    const db = open(schema);
    const node = await createMessengerNode({
      db,
      clock: systemClock,
      ids: newId,
      log,
      credentials: credentials(id),
      config: config(schema, 4),
      routing,
      smsSecret: 'bench-sms-secret-0123456789abcdef0123456789',
    });
    await node.partnerApp.listen({ host: '127.0.0.1', port: ports[id] });
    messengers.push({ id, node, db });
  }

  const requests = { count: 0, totalMs: 0, maxMs: 0 };
  const timedFetch: typeof fetch = async (input, init) => {
    const started = performance.now();
    try {
      return await fetch(input, init);
    } finally {
      const ms = performance.now() - started;
      requests.count++;
      requests.totalMs += ms;
      requests.maxMs = Math.max(requests.maxMs, ms);
    }
  };
  const operatorDb = open(options.operatorSchema);
  const operator = await createOperatorNode({
    db: operatorDb,
    clock: systemClock,
    ids: newId,
    log,
    credentials: credentials(NOTICE_OPERATOR_ID),
    config: config(options.operatorSchema, options.concurrency),
    fetch: timedFetch,
  });

  return {
    operator,
    operatorDb,
    messengers,
    requests,
    startDelivery: () => operator.start(),
    async stop() {
      await operator.stop();
      await operatorDb.close();
      for (const m of messengers) {
        await m.node.stop();
        await m.db.close();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
