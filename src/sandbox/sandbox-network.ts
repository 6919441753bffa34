import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../db/migrator.js';
import { claimNodeIdentity } from '../db/node-identity-store.js';
import { createSharedPgliteDatabases } from '../db/pglite-driver.js';
import type { Database } from '../db/port.js';
import type { HttpApp } from '../http/create-http-app.js';
import { createMessengerNode, type MessengerNode } from '../messenger/create-messenger-node.js';
import { MESSENGER_MIGRATION_SETS } from '../messenger/start-messenger-node.js';
import { closeQuietly } from '../node/close-quietly.js';
import { listenOrExplain } from '../node/listen-or-explain.js';
import { createNodeCredentials } from '../node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from '../operator/create-operator-node.js';
import { OPERATOR_MIGRATION_SETS } from '../operator/start-operator-node.js';
import type { Participant } from '../protocol/schemas/index.js';
import { createSigner } from '../protocol/signatures/index.js';
import { createRoutingService, loadRoutingTable, type RoutingService } from '../routing/index.js';
import { KNOWN_OPERATORS } from '../routing/known-operators.js';
import { loadOrCreateSandboxSecrets } from './sandbox-identities.js';
import {
  homeDef,
  sandboxPlanCsv,
  sandboxPortAllCsv,
  sandboxPortedNumbers,
} from './sandbox-reference-data.js';
import { seedSandboxSubscribers } from './seed-sandbox-subscribers.js';

export const SANDBOX_MESSENGER_ID = 'tamtam';

export interface SandboxOperator {
  id: string;
  name: string;
  node: OperatorNode;
  db: Database;
  partnerUrl: string;
  internalUrl: string;
  internalToken: string;
}

export interface SandboxNetwork {
  operators: SandboxOperator[];
  messenger: {
    node: MessengerNode;
    db: Database;
    appUrl: string;
    partnerUrl: string;
    appToken: string;
    routing: RoutingService;
  };
  participants: Participant[];
  stop(): Promise<void>;
}

/**
 * The whole identification network in one process (nodes.md "Sandbox"):
 * the Big Four operators with their real INNs and one messenger, each on its
 * own schema of one embedded PGlite under `dataDir/db`, with generated keys, a
 * directory, the numbering plan of their Moscow DEF codes, a portability
 * snapshot and synthetic subscribers. Ports: messenger app `basePort+1`,
 * messenger partner `basePort+2`, operator i partner `basePort+10+i`,
 * internal `basePort+20+i` (all on the sandbox host).
 */
export async function startSandboxNetwork(deps: {
  dataDir: string;
  host: string;
  basePort: number;
  subscribersPerOperator: number;
  clock: Clock;
  log: Logger;
}): Promise<SandboxNetwork> {
  const { dataDir, host, basePort, clock, log } = deps;
  const nodeIds = [...KNOWN_OPERATORS.map((o) => o.id), SANDBOX_MESSENGER_ID];
  const secrets = loadOrCreateSandboxSecrets(dataDir, nodeIds);
  const port = (i: number) => basePort + i;
  const participants: Participant[] = [
    ...KNOWN_OPERATORS.map((op, i) => ({
      id: op.id,
      role: 'operator' as const,
      name: op.name,
      inn: op.inn,
      portOwnerIds: [...op.portOwnerIds],
      mncs: [...op.mncs],
      baseUrl: `http://${host}:${port(10 + i)}`,
      keys: [secrets.nodes[op.id]!.publicJwk],
      agreement: true,
    })),
    {
      id: SANDBOX_MESSENGER_ID,
      role: 'messenger' as const,
      name: 'TamTam (sandbox messenger)',
      baseUrl: `http://${host}:${port(2)}`,
      keys: [secrets.nodes[SANDBOX_MESSENGER_ID]!.publicJwk],
      agreement: true,
    },
  ];
  const ported = sandboxPortedNumbers(deps.subscribersPerOperator);
  const planFile = join(dataDir, 'DEF-9xx.csv');
  const portedFile = join(dataDir, 'Port_All.csv');
  await writeFile(planFile, sandboxPlanCsv());
  await writeFile(portedFile, sandboxPortAllCsv(ported));
  await writeFile(join(dataDir, 'directory.json'), JSON.stringify(participants, null, 2));

  const credentialsOf = (id: string) =>
    createNodeCredentials({
      selfId: id,
      signer: createSigner(secrets.nodes[id]!.privateJwk),
      participants,
      numberHashKey: secrets.nodes[id]!.numberHashKey,
      internalToken: secrets.nodes[id]!.internalToken,
      adminToken: secrets.nodes[id]!.adminToken,
    });
  const baseConfig = (overrides: Record<string, unknown>): Readonly<Config> =>
    loadConfig({ env: {}, overrides: { outbox: { pollIntervalMs: 500 }, ...overrides } });

  // One embedded PGlite, one schema per node: start-up and memory of one
  // WASM Postgres instead of five.
  const shared = await createSharedPgliteDatabases(join(dataDir, 'db'), nodeIds);
  const dbOf = (id: string) => shared.databases[nodeIds.indexOf(id)] as Database;

  // Nodes made so far: a failed start stops them, so none is left serving.
  const opened: Array<{ stop(): Promise<void> }> = [];
  const listen = (app: HttpApp, offset: number, what: string) =>
    listenOrExplain(
      app,
      { host, port: port(offset) },
      `sandbox --port ${basePort} + ${offset} (${what})`,
    );
  try {
    const operators: SandboxOperator[] = [];
    for (const [i, op] of KNOWN_OPERATORS.entries()) {
      const db = dbOf(op.id);
      await migrate(db, OPERATOR_MIGRATION_SETS);
      await claimNodeIdentity(db, 'operator', op.id);
      const previous =
        KNOWN_OPERATORS[(i + KNOWN_OPERATORS.length - 1) % KNOWN_OPERATORS.length]!.id;
      const seeded = await seedSandboxSubscribers(db, {
        homeDef: homeDef(op.id),
        count: deps.subscribersPerOperator,
        portedIn: ported.filter(([n]) => n.startsWith(homeDef(previous))).map(([n]) => n),
      });
      if (seeded > 0)
        log.info({ operator: op.id, subscribers: seeded }, 'sandbox subscribers created');
      const node = await createOperatorNode({
        db,
        clock,
        ids: newId,
        log: log.child({ node: op.id }),
        credentials: credentialsOf(op.id),
        config: baseConfig({ operator: { slowPath: { enabled: true, pollIntervalMs: 1000 } } }),
        // The sandbox BSS knows every contract: a flagged number is confirmed
        // on the slow path's next pass, so the 202 → callback flow is visible.
        checker: { check: async () => 'confirmed' },
      });
      opened.push(node);
      const partnerUrl = await listen(node.partnerApp, 10 + i, `${op.id} partner API`);
      const internalUrl = await listen(node.internalApp, 20 + i, `${op.id} internal API`);
      operators.push({
        id: op.id,
        name: op.name,
        node,
        db,
        partnerUrl,
        internalUrl,
        internalToken: secrets.nodes[op.id]!.internalToken,
      });
    }

    const messengerDb = dbOf(SANDBOX_MESSENGER_ID);
    await migrate(messengerDb, MESSENGER_MIGRATION_SETS);
    await claimNodeIdentity(messengerDb, 'messenger', SANDBOX_MESSENGER_ID);
    const routing = await createRoutingService({
      log,
      load: async () =>
        (await loadRoutingTable({ planFiles: [planFile], portedFile, participants })).table,
    });
    const messengerNode = await createMessengerNode({
      db: messengerDb,
      clock,
      ids: newId,
      log: log.child({ node: SANDBOX_MESSENGER_ID }),
      credentials: credentialsOf(SANDBOX_MESSENGER_ID),
      config: baseConfig({ messenger: { devOutboxReadable: true, graceSeconds: 3600 } }),
      routing,
      smsSecret: secrets.smsSecret,
    });
    opened.push(messengerNode);
    const messengerPartnerUrl = await listen(messengerNode.partnerApp, 2, 'messenger partner API');
    const appUrl = await listen(messengerNode.appApp, 1, 'messenger app API');

    for (const op of operators) await op.node.start();
    await messengerNode.start();
    return {
      operators,
      messenger: {
        node: messengerNode,
        db: messengerDb,
        appUrl,
        partnerUrl: messengerPartnerUrl,
        appToken: secrets.nodes[SANDBOX_MESSENGER_ID]!.internalToken,
        routing,
      },
      participants,
      async stop() {
        await messengerNode.stop();
        for (const op of operators) await op.node.stop();
        await shared.close();
      },
    };
  } catch (err) {
    for (const node of opened.reverse()) await closeQuietly(log, () => node.stop());
    await closeQuietly(log, () => shared.close());
    throw err;
  }
}
