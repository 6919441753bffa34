import { createServer } from 'node:net';
import { loadConfig } from '../../src/config/load-config.js';
import { systemClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { createNodeCredentials, type NodeCredentials } from '../../src/node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import type { Participant } from '../../src/protocol/schemas/index.js';
import {
  createSigner,
  generateSigningKeyPair,
  type PrivateJwk,
} from '../../src/protocol/signatures/index.js';

export const OPERATOR_ID = 'mts';
export const MESSENGER_ID = 'tamtam';

/** What a load client process needs to sign as the messenger (plain data, IPC-safe). */
export interface MessengerIdentity {
  id: string;
  privateJwk: PrivateJwk;
  participants: Participant[];
}

export interface BenchOperatorNode {
  node: OperatorNode;
  /** The node's own pool (what its routes and replay store use). */
  db: Database;
  credentials: NodeCredentials;
  partnerUrl: string;
  messenger: MessengerIdentity;
  stop(): Promise<void>;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/**
 * An operator node as production wires it (createOperatorNode: signed partner
 * scope, database replay store, idempotency, outbox LISTEN and background
 * loops started), on PostgreSQL schema `schema` with a pool of `poolSize`,
 * listening on loopback. The directory holds the operator and one messenger
 * whose private key is handed back for the load clients.
 */
export async function startBenchOperatorNode(options: {
  url: string;
  schema: string;
  poolSize: number;
  /** operator.identificationGroups.maxSize and .inFlight; the config defaults when absent. */
  groupSize?: number | undefined;
  groupsInFlight?: number | undefined;
}): Promise<BenchOperatorNode> {
  const operatorKey = generateSigningKeyPair(`${OPERATOR_ID}-key-1`);
  const messengerKey = generateSigningKeyPair(`${MESSENGER_ID}-key-1`);
  const port = await freeLoopbackPort();
  const messengerPort = await freeLoopbackPort();
  const participants: Participant[] = [
    {
      id: OPERATOR_ID,
      role: 'operator',
      name: 'MTS',
      baseUrl: `http://127.0.0.1:${port}`,
      keys: [operatorKey.publicJwk],
      agreement: true,
    },
    {
      id: MESSENGER_ID,
      role: 'messenger',
      name: 'TAMTAM',
      // Nothing listens here: identifications answered on the fast path send no callbacks.
      baseUrl: `http://127.0.0.1:${messengerPort}`,
      keys: [messengerKey.publicJwk],
      agreement: true,
    },
  ];
  const credentials = createNodeCredentials({
    selfId: OPERATOR_ID,
    signer: createSigner(operatorKey.privateJwk),
    participants,
    numberHashKey: 'bench-number-hash-key-0123456789',
    internalToken: 'bench-internal-token-0123456789',
  });
  const config = loadConfig({
    env: {},
    overrides: {
      log: { level: 'silent' },
      database: { url: options.url, schema: options.schema, poolSize: options.poolSize },
      operator: {
        identificationGroups: {
          ...(options.groupSize ? { maxSize: options.groupSize } : {}),
          ...(options.groupsInFlight ? { inFlight: options.groupsInFlight } : {}),
        },
      },
    },
  });
  const db = createPostgresDatabase({
    url: options.url,
    schema: options.schema,
    poolSize: options.poolSize,
    // cpu-meter.ts counts PostgreSQL CPU by this name.
    applicationName: 'idbridge-bench-node',
  });
  const node = await createOperatorNode({
    db,
    clock: systemClock,
    ids: newId,
    log: createSilentLogger(),
    credentials,
    config,
  });
  const partnerUrl = await node.partnerApp.listen({ host: '127.0.0.1', port });
  await node.start();
  return {
    node,
    db,
    credentials,
    partnerUrl,
    messenger: { id: MESSENGER_ID, privateJwk: messengerKey.privateJwk, participants },
    async stop() {
      await node.stop();
      await db.close();
    },
  };
}
