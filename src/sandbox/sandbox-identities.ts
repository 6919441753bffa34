import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSigningKeyPair,
  type PrivateJwk,
  type PublicJwk,
} from '../protocol/signatures/index.js';

/** Keys and secrets of every sandbox node, generated once per data directory. */
export interface SandboxIdentity {
  id: string;
  privateJwk: PrivateJwk;
  publicJwk: PublicJwk;
  internalToken: string;
  /** The node's own console; added to older secrets files on start. */
  adminToken: string;
  numberHashKey: string;
}

export interface SandboxSecrets {
  nodes: Record<string, SandboxIdentity>;
  smsSecret: string;
}

/**
 * Reads `secrets.json` from the data directory, creating it (mode 0600) on
 * first start. These are sandbox secrets: generated here, never in the
 * repository, and never used outside the sandbox.
 */
export function loadOrCreateSandboxSecrets(
  dataDir: string,
  nodeIds: readonly string[],
): SandboxSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as SandboxSecrets;
    if (nodeIds.every((id) => secrets.nodes[id])) {
      const missing = nodeIds.filter((id) => !secrets.nodes[id]?.adminToken);
      if (missing.length === 0) return secrets;
      // A data directory from before node consoles: keep every key, add the credential.
      for (const id of missing) (secrets.nodes[id] as SandboxIdentity).adminToken = newToken();
      writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
      return secrets;
    }
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const nodes: Record<string, SandboxIdentity> = {};
  for (const id of nodeIds) {
    const pair = generateSigningKeyPair(`${id}-sandbox-1`);
    nodes[id] = {
      id,
      privateJwk: pair.privateJwk,
      publicJwk: pair.publicJwk,
      internalToken: newToken(),
      adminToken: newToken(),
      numberHashKey: randomBytes(32).toString('base64url'),
    };
  }
  const secrets: SandboxSecrets = { nodes, smsSecret: randomBytes(32).toString('base64url') };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}
