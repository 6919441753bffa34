import { createServer } from 'node:net';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createNodeCredentials, type NodeCredentials } from '../../src/node/node-credentials.js';
import type { Participant } from '../../src/protocol/schemas/index.js';
import {
  createSigner,
  generateSigningKeyPair,
  type Signer,
} from '../../src/protocol/signatures/index.js';

/** A free loopback port (closed again at once; fine for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
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

export interface TestParticipantSpec {
  id: string;
  role: 'operator' | 'messenger';
  inn?: string;
  portOwnerIds?: string[];
  mncs?: string[];
}

export interface TestNetwork {
  participants: Participant[];
  signers: Record<string, Signer>;
  ports: Record<string, number>;
  baseUrl(id: string): string;
  /** `participants`: the directory as this node holds it, when it differs from the network's. */
  credentials(id: string, participants?: Participant[]): NodeCredentials;
}

/** The console credential every test node gets (issue 7). */
export const testAdminToken = (id: string) => `test-admin-token-${id}`;

/** Keys, ports and a directory for a handful of participants on loopback. */
export async function createTestNetwork(specs: TestParticipantSpec[]): Promise<TestNetwork> {
  const signers: Record<string, Signer> = {};
  const ports: Record<string, number> = {};
  const participants: Participant[] = [];
  for (const spec of specs) {
    const pair = generateSigningKeyPair(`${spec.id}-key-1`);
    signers[spec.id] = createSigner(pair.privateJwk);
    ports[spec.id] = await freePort();
    participants.push({
      id: spec.id,
      role: spec.role,
      name: spec.id.toUpperCase(),
      ...(spec.inn ? { inn: spec.inn } : {}),
      ...(spec.portOwnerIds ? { portOwnerIds: spec.portOwnerIds } : {}),
      ...(spec.mncs ? { mncs: spec.mncs } : {}),
      baseUrl: `http://127.0.0.1:${ports[spec.id]}`,
      keys: [pair.publicJwk],
      agreement: true,
    });
  }
  return {
    participants,
    signers,
    ports,
    baseUrl: (id) => `http://127.0.0.1:${ports[id]}`,
    credentials: (id, directory = participants) =>
      createNodeCredentials({
        selfId: id,
        signer: signers[id] as Signer,
        participants: directory,
        numberHashKey: `test-number-hash-key-${id}`,
        internalToken: `test-internal-token-${id}`,
        adminToken: testAdminToken(id),
      }),
  };
}

/** Config with test-friendly settings; overrides as in the config file. */
export function testConfig(overrides: Record<string, unknown> = {}): Readonly<Config> {
  return loadConfig({ env: {}, overrides: { log: { level: 'silent' }, ...overrides } });
}
