import { randomBytes } from 'node:crypto';
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

export const BENCH_MESSENGER_ID = 'tamtam';
export const BENCH_OPERATOR_ID = 'mts';
/** The messenger's app-API bearer credential in the benchmarks. */
export const BENCH_APP_TOKEN = 'bench-app-token-0123456789abcdef';

// DEF 900 (numbers +7900…, the synthetic subscriber base) belongs to MTS by INN.
const PLAN = [
  'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  '900;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
  '916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
].join('\n');

export interface MessengerBenchNodes {
  messenger: MessengerNode;
  /** The messenger node's pool (what its routes use), as the node sees it. */
  messengerDb: Database;
  appUrl: string;
  /** Every pool of this run names its connections `<appPrefix>-<role>` (messenger-cpu-meter.ts). */
  appPrefix: string;
  operator?: { node: OperatorNode; db: Database } | undefined;
  stop(): Promise<void>;
}

/**
 * A messenger node (and, with `operatorSchema`, an MTS operator node) wired
 * as in production — createMessengerNode / createOperatorNode, system clock,
 * silent logs, background loops started — each on its own PostgreSQL schema
 * (migrated and seeded by the caller), talking over loopback HTTP with real
 * RFC 9421 signatures. The messenger's app API listens on loopback with
 * bearer `BENCH_APP_TOKEN`. `wrapMessengerDb` lets a benchmark count the
 * queries the node makes. Pools are named `<appPrefix>-<role>`, unique per
 * call, so messenger-cpu-meter.ts counts exactly their PostgreSQL backends.
 */
export async function startMessengerBenchNodes(options: {
  url: string;
  messengerSchema: string;
  operatorSchema?: string | undefined;
  poolSize: number;
  /** Config file overrides merged over the benchmark's (e.g. `messenger`, `sms`). */
  overrides?: Record<string, unknown>;
  wrapMessengerDb?: (db: Database) => Database;
}): Promise<MessengerBenchNodes> {
  const appPrefix = `idbridge-mbench-${randomBytes(3).toString('hex')}`;
  const ids = [BENCH_OPERATOR_ID, BENCH_MESSENGER_ID];
  const keys = Object.fromEntries(ids.map((id) => [id, generateSigningKeyPair(`${id}-key-1`)]));
  const ports = Object.fromEntries(
    await Promise.all(ids.map(async (id) => [id, await freeLoopbackPort()] as const)),
  );
  const participants: Participant[] = ids.map((id) => ({
    id,
    role: id === BENCH_OPERATOR_ID ? 'operator' : 'messenger',
    name: id.toUpperCase(),
    ...(id === BENCH_OPERATOR_ID ? { inn: '7740000076' } : {}),
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
      internalToken: id === BENCH_MESSENGER_ID ? BENCH_APP_TOKEN : 'bench-internal-token-0123456',
    });
  const config = (schema: string) =>
    loadConfig({
      env: {},
      overrides: {
        ...options.overrides,
        log: { level: 'silent' },
        database: { url: options.url, schema, poolSize: options.poolSize },
      },
    });
  const open = (schema: string, role: string) =>
    createPostgresDatabase({
      url: options.url,
      schema,
      poolSize: options.poolSize,
      applicationName: `${appPrefix}-${role}`,
    });
  const log = createSilentLogger();
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-messenger-bench-'));
  const planFile = join(dir, 'plan.csv');
  await writeFile(planFile, PLAN);
  const routing = await createRoutingService({
    load: async () => (await loadRoutingTable({ planFiles: [planFile], participants })).table,
  });

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let operator: MessengerBenchNodes['operator'];
    if (options.operatorSchema) {
      const db = open(options.operatorSchema, 'operator');
      stops.push(() => db.close());
      const node = await createOperatorNode({
        db,
        clock: systemClock,
        ids: newId,
        log,
        credentials: credentials(BENCH_OPERATOR_ID),
        config: config(options.operatorSchema),
      });
      stops.push(() => node.stop());
      await node.partnerApp.listen({ host: '127.0.0.1', port: ports[BENCH_OPERATOR_ID] });
      await node.start();
      operator = { node, db };
    }

    const rawDb = open(options.messengerSchema, 'messenger');
    stops.push(() => rawDb.close());
    const messengerDb = options.wrapMessengerDb ? options.wrapMessengerDb(rawDb) : rawDb;
    const messenger = await createMessengerNode({
      db: messengerDb,
      clock: systemClock,
      ids: newId,
      log,
      credentials: credentials(BENCH_MESSENGER_ID),
      config: config(options.messengerSchema),
      routing,
      smsSecret: 'bench-sms-secret-0123456789abcdef0123456789',
    });
    stops.push(() => messenger.stop());
    await messenger.partnerApp.listen({ host: '127.0.0.1', port: ports[BENCH_MESSENGER_ID] });
    const appUrl = await messenger.appApp.listen({ host: '127.0.0.1', port: 0 });
    await messenger.start();
    return { messenger, messengerDb, appUrl, appPrefix, operator, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
