import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createLogger, createSilentLogger, type Logger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, DriverKind } from '../../src/db/port.js';
import {
  createMessengerNode,
  type MessengerNode,
} from '../../src/messenger/create-messenger-node.js';
import { createMessengerWebhooks } from '../../src/messenger/webhooks/index.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import type { BssVerdict } from '../../src/operator/identification/slow-path.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import type { Participant } from '../../src/protocol/schemas/index.js';
import {
  createRoutingService,
  loadRoutingTable,
  type RoutingService,
} from '../../src/routing/index.js';
import { createTcpSwitch } from './tcp-switch.js';
import { createTestDatabase } from './test-database.js';
import { createTestNetwork, freePort, type TestNetwork, testConfig } from './test-network.js';

export const WEBHOOK_SECRET = `whsec_${Buffer.from('test-webhook-secret-0123456789ab').toString('base64')}`;
export const MESSENGER_SMS_SECRET = 'test-sms-secret-0123456789abcdef0123456789';

const PLAN = [
  'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  '916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
  '926;0000000;9999999;10000000;ПАО "МегаФон";г. Москва;г. Москва;7812014560',
  '999;0000000;0999999;1000000;ООО "Скартел";г. Москва;г. Москва;7701725181',
].join('\n');

export interface OperatorUnderTest {
  id: string;
  node: OperatorNode;
  db: Database;
  internalUrl: string;
  /** Switches the operator's partner port off (connections refused) and on. */
  network: { up(): Promise<void>; down(): Promise<void> };
  setVerdict(v: BssVerdict): void;
  /** Applies BSS events through the internal API. */
  events(events: Array<Record<string, unknown>>): Promise<Array<{ status: string; code?: string }>>;
}

export interface IdentificationNetwork {
  clock: ManualClock;
  net: TestNetwork;
  messenger: {
    node: MessengerNode;
    db: Database;
    appUrl: string;
    routing: RoutingService;
    /** Switches the messenger's partner port off (operators cannot reach it) and on. */
    network: { up(): Promise<void>; down(): Promise<void> };
  };
  /** Records in the portability snapshot that `msisdn` is now served by `operatorId` (routing reloads on demand). */
  portNumber(msisdn: string, operatorId: 'mts' | 'megafon'): Promise<void>;
  operators: Record<string, OperatorUnderTest>;
  /** Webhooks the messenger's backend received. */
  webhooks: Array<{
    headers: Record<string, unknown>;
    body: { type: string; data: { userId: string } };
  }>;
  /** Calls the messenger's app API with its bearer credential. */
  app<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** Moves every outbox and duty forward once (both sides). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One messenger (tamtam) and two operators (mts for 916, megafon for 926 and
 * ported numbers) in one process, real HTTP on loopback, real signatures,
 * one manual clock. `portedNumbers` go to megafon in the Port_All file.
 */
export async function startIdentificationNetwork(
  kind: DriverKind,
  options: {
    portedNumbers?: string[];
    messengerConfig?: Record<string, unknown>;
    /** The directory as the messenger holds it (a stale key, a wrong address). */
    messengerDirectory?: (participants: Participant[]) => Participant[];
    messengerLog?: Logger;
  } = {},
): Promise<IdentificationNetwork> {
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const net = await createTestNetwork([
    { id: 'mts', role: 'operator', inn: '7740000076', portOwnerIds: ['mMTS'], mncs: ['01'] },
    {
      id: 'megafon',
      role: 'operator',
      inn: '7812014560',
      portOwnerIds: ['mMEGAFON'],
      mncs: ['02'],
    },
    { id: 'tamtam', role: 'messenger' },
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-routing-'));
  const planFile = join(dir, 'DEF-9xx.csv');
  const portedFile = join(dir, 'Port_All.csv');
  await writeFile(planFile, `\uFEFF${PLAN}\n`);
  await writeFile(
    portedFile,
    `${[
      'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount',
      ...(options.portedNumbers ?? []).map(
        (n) =>
          `${n.replace('+7', '')},mMEGAFON,02,D7702,77,2025-01-01T00:00:00+03:00,${options.portedNumbers?.length ?? 0}`,
      ),
    ].join('\n')}\n`,
  );
  const operators: Record<string, OperatorUnderTest> = {};
  for (const id of ['mts', 'megafon']) {
    const db = await createTestDatabase(kind);
    await migrate(db, OPERATOR_MIGRATION_SETS);
    let verdict: BssVerdict = 'undecided';
    const node = await createOperatorNode({
      db,
      clock,
      ids: newId,
      log: createSilentLogger(),
      credentials: net.credentials(id),
      config: testConfig({ operator: { slowPath: { enabled: true } } }),
      checker: { check: async () => verdict },
    });
    // Partners reach the operator through a switchable relay on its directory port.
    const innerPort = await freePort();
    await node.partnerApp.listen({ host: '127.0.0.1', port: innerPort });
    const network = await createTcpSwitch(net.ports[id]!, innerPort);
    const internalUrl = await node.internalApp.listen({ host: '127.0.0.1', port: 0 });
    operators[id] = {
      id,
      node,
      db,
      internalUrl,
      network,
      setVerdict: (v) => {
        verdict = v;
      },
      async events(events) {
        const res = await fetch(`${internalUrl}/internal/v1/subscriber-events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer test-internal-token-${id}`,
          },
          body: JSON.stringify({
            events: events.map((e) => ({
              eventId: newId(),
              occurredAt: clock.now().toISOString(),
              ...e,
            })),
          }),
        });
        return ((await res.json()) as { results: Array<{ status: string; code?: string }> })
          .results;
      },
    };
  }

  const messengerDb = await createTestDatabase(kind);
  await migrate(messengerDb, ['shared', 'messenger']);
  const routing = await createRoutingService({
    load: async () =>
      (
        await loadRoutingTable({
          planFiles: [planFile],
          portedFile,
          participants: net.participants,
        })
      ).table,
  });
  // The messenger's own backend: receives Standard Webhooks.
  const webhooks: Array<{
    headers: Record<string, unknown>;
    body: { type: string; data: { userId: string } };
  }> = [];
  const backend = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      webhooks.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendPort = (backend.address() as { port: number }).port;
  const messengerNode = await createMessengerNode({
    ...createMessengerWebhooks(
      { url: `http://127.0.0.1:${backendPort}/hooks`, secret: WEBHOOK_SECRET, timeoutMs: 5000 },
      { clock, newId },
    ),
    db: messengerDb,
    clock,
    ids: newId,
    log:
      options.messengerLog ??
      (process.env.IDBRIDGE_TEST_LOG ? createLogger({ level: 'warn' }) : createSilentLogger()),
    credentials: net.credentials(
      'tamtam',
      options.messengerDirectory?.(structuredClone(net.participants)),
    ),
    config: testConfig({
      messenger: { devOutboxReadable: true, graceSeconds: 3600, ...options.messengerConfig },
    }),
    routing,
    smsSecret: MESSENGER_SMS_SECRET,
  });
  const messengerInnerPort = await freePort();
  await messengerNode.partnerApp.listen({ host: '127.0.0.1', port: messengerInnerPort });
  const messengerNetwork = await createTcpSwitch(net.ports.tamtam!, messengerInnerPort);
  const appUrl = await messengerNode.appApp.listen({ host: '127.0.0.1', port: 0 });

  const app = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${appUrl}${path}`, {
      method,
      headers: {
        authorization: 'Bearer test-internal-token-tamtam',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  return {
    clock,
    net,
    messenger: { node: messengerNode, db: messengerDb, appUrl, routing, network: messengerNetwork },
    async portNumber(msisdn, operatorId) {
      const owner = operatorId === 'mts' ? 'mMTS,01' : 'mMEGAFON,02';
      await appendFile(
        portedFile,
        `${msisdn.replace('+7', '')},${owner},D77,77,2026-01-01T00:00:00+03:00,0\n`,
      );
    },
    operators,
    webhooks,
    app,
    async settle() {
      for (let round = 0; round < 3; round++) {
        for (const op of Object.values(operators)) {
          await op.node.runSlowPath();
          await op.node.runtime.outbox.drain();
        }
        await messengerNode.runDuties();
        await messengerNode.runtime.outbox.drain();
      }
    },
    async close() {
      await new Promise((resolve) => backend.close(resolve));
      await messengerNetwork.down();
      await messengerNode.stop();
      await messengerDb.close();
      for (const op of Object.values(operators)) {
        await op.network.down();
        await op.node.stop();
        await op.db.close();
      }
    },
  };
}
