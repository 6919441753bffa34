import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, DriverKind } from '../../src/db/port.js';
import { newIdentificationCode } from '../../src/messenger/identification/identification-code.js';
import type { ReconcileDeps } from '../../src/messenger/legacy/index.js';
import { MESSENGER_MIGRATION_SETS } from '../../src/messenger/start-messenger-node.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import { createPartnerClient } from '../../src/protocol/http/partner-client.js';
import { createRoutingService, loadRoutingTable } from '../../src/routing/index.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { createTestNetwork, type TestNetwork, testConfig } from '../helpers/test-network.js';

/**
 * A messenger (its database, routing, signed client) and the four national
 * operators as real nodes on loopback, each on its own database, for legacy
 * reconciliation (R9, I1). No messenger HTTP server: batches are answered
 * synchronously. Every batch POST goes through a counting fetch.
 */
export const LEGACY_OPERATORS = [
  { id: 'mts', prefix: '916', inn: '7740000076', owner: 'mMTS', mnc: '01' },
  { id: 'megafon', prefix: '926', inn: '7812014560', owner: 'mMEGAFON', mnc: '02' },
  { id: 'beeline', prefix: '903', inn: '7713076301', owner: 'mBEELINE', mnc: '99' },
  { id: 't2', prefix: '977', inn: '7743895280', owner: 'mT2MOBILE', mnc: '20' },
] as const;

const PLAN = [
  'АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН',
  '916;0000000;9999999;10000000;ПАО "Мобильные ТелеСистемы";г. Москва;г. Москва;7740000076',
  '926;0000000;9999999;10000000;ПАО "МегаФон";г. Москва;г. Москва;7812014560',
  '903;0000000;9999999;10000000;ПАО "ВымпелКом";г. Москва;г. Москва;7713076301',
  '977;0000000;9999999;10000000;ООО "Т2 Мобайл";г. Москва;г. Москва;7743895280',
  // A range holder with no participant in the directory: unroutable.
  '999;0000000;0999999;1000000;ООО "Скартел";г. Москва;г. Москва;7701725181',
];

export interface LegacyNetwork {
  clock: ManualClock;
  net: TestNetwork;
  messengerDb: Database;
  operators: Record<string, { node: OperatorNode; db: Database }>;
  /** What reconcileLegacyUsers needs. */
  deps: ReconcileDeps;
  /** batchIds of every batch POST that reached the wire, in order. */
  batchPosts: string[];
  /** Appends numbers to the portability snapshot; routing sees them after a reload. */
  port(entries: Array<{ msisdn: string; toOperator: string }>): Promise<void>;
  close(): Promise<void>;
}

export async function startLegacyNetwork(
  kind: DriverKind,
  options: { ported?: Array<{ msisdn: string; toOperator: string }> } = {},
): Promise<LegacyNetwork> {
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const net = await createTestNetwork([
    ...LEGACY_OPERATORS.map((o) => ({
      id: o.id,
      role: 'operator' as const,
      inn: o.inn,
      portOwnerIds: [o.owner],
      mncs: [o.mnc],
    })),
    { id: 'tamtam', role: 'messenger' },
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-legacy-'));
  const planFile = join(dir, 'DEF-9xx.csv');
  const portedFile = join(dir, 'Port_All.csv');
  await writeFile(planFile, `\uFEFF${PLAN.join('\n')}\n`);
  await writeFile(
    portedFile,
    `Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n${portLines(options.ported ?? [])}`,
  );

  const operators: LegacyNetwork['operators'] = {};
  for (const o of LEGACY_OPERATORS) {
    const db = await createTestDatabase(kind);
    await migrate(db, OPERATOR_MIGRATION_SETS);
    const node = await createOperatorNode({
      db,
      clock,
      ids: newId,
      log: createSilentLogger(),
      credentials: net.credentials(o.id),
      config: testConfig(),
    });
    await node.partnerApp.listen({ host: '127.0.0.1', port: net.ports[o.id] as number });
    operators[o.id] = { node, db };
  }
  const messengerDb = await createTestDatabase(kind);
  await migrate(messengerDb, MESSENGER_MIGRATION_SETS);
  const credentials = net.credentials('tamtam');
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
  const batchPosts: string[] = [];
  // Counts batch POSTs that got an answer. The client retries a transport
  // failure (CI once saw a loopback batch POST die with ECONNRESET on PGlite,
  // whose queries block the event loop for seconds); the retry is the same
  // request under the same batchId, decided once by the operator
  // (batchDecisionsAtOperators). Counting the failed attempt would make the
  // test fail on the machine's timing, not on reconcile's behaviour.
  const countingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input).endsWith('/v1/identifications/batch') && typeof init?.body === 'string') {
      batchPosts.push((JSON.parse(init.body) as { batchId: string }).batchId);
    }
    return response;
  };
  const client = createPartnerClient({
    signer: credentials.signer,
    resolveKey: credentials.resolveKey,
    clock,
    // A 10,000-item batch on a loaded machine with PGlite takes seconds.
    timeoutMs: 300_000,
    retries: 2,
    backoffMs: () => 50,
    fetch: countingFetch,
  });
  return {
    clock,
    net,
    messengerDb,
    operators,
    batchPosts,
    deps: {
      db: messengerDb,
      clock,
      ids: newId,
      newCode: newIdentificationCode,
      log: createSilentLogger(),
      client,
      directory: credentials.directory,
      routing,
    },
    async port(entries) {
      await appendFile(portedFile, portLines(entries));
    },
    async close() {
      await messengerDb.close();
      for (const op of Object.values(operators)) {
        await op.node.stop();
        await op.db.close();
      }
    },
  };
}

function portLines(entries: Array<{ msisdn: string; toOperator: string }>): string {
  return entries
    .map((e) => {
      const o = LEGACY_OPERATORS.find((x) => x.id === e.toOperator);
      if (!o) throw new Error(`no operator ${e.toOperator}`);
      return `${e.msisdn.replace('+7', '')},${o.owner},${o.mnc},D7702,77,2016-01-01T00:00:00+03:00,0\n`;
    })
    .join('');
}
