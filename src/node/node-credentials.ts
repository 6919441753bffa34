import { readFileSync } from 'node:fs';
import { IdbridgeError } from '../core/errors.js';
import { createNumberHasher, type NumberHasher } from '../core/number-hash.js';
import type { Participant } from '../protocol/schemas/index.js';
import {
  createKeyResolver,
  createSigner,
  type KeyResolver,
  readPrivateJwkFile,
  type Signer,
} from '../protocol/signatures/index.js';
import { createDirectoryIndex, type DirectoryIndex, loadDirectoryFile } from './directory.js';
import type { NodeConfig } from './node-config.js';

/** Everything a node needs to know who it is and whom it trusts. */
export interface NodeCredentials {
  selfId: string;
  signer: Signer;
  directory: DirectoryIndex;
  resolveKey: KeyResolver;
  hashNumber: NumberHasher;
  internalToken: string;
  /** The console's credential; undefined: the node serves no console. */
  adminToken?: string | undefined;
}

/**
 * Builds the credentials from already-loaded parts; the sandbox and tests
 * call this directly with generated keys.
 */
export function createNodeCredentials(parts: {
  selfId: string;
  signer: Signer;
  participants: readonly Participant[];
  numberHashKey: string;
  internalToken: string;
  adminToken?: string | undefined;
}): NodeCredentials {
  const directory = createDirectoryIndex(parts.participants);
  const self = directory.get(parts.selfId);
  if (!self)
    throw new IdbridgeError('CONFIG_INVALID', `node.id "${parts.selfId}" is not in the directory`);
  if (!self.keys.some((k) => k.kid === parts.signer.keyId)) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `the signing key "${parts.signer.keyId}" is not among ${parts.selfId}'s keys in the directory`,
    );
  }
  if (parts.adminToken !== undefined && parts.adminToken === parts.internalToken) {
    // The BSS or the messenger's backend holds the internal token; it must not open the console.
    throw new IdbridgeError(
      'CONFIG_INVALID',
      'node.adminToken must differ from node.internalToken',
    );
  }
  return {
    selfId: parts.selfId,
    signer: parts.signer,
    directory,
    // Our own entry is left out: a node never accepts requests signed by itself.
    resolveKey: createKeyResolver(parts.participants.filter((p) => p.id !== parts.selfId)),
    hashNumber: createNumberHasher(parts.numberHashKey),
    internalToken: parts.internalToken,
    adminToken: parts.adminToken,
  };
}

/** Reads the node's key, directory and secrets from the files the config names. */
export function loadNodeCredentials(config: Readonly<{ node: NodeConfig }>): NodeCredentials {
  const node = config.node;
  const selfId = required(node.id, 'node.id');
  return createNodeCredentials({
    selfId,
    signer: createSigner(readPrivateJwkFile(required(node.signingKeyFile, 'node.signingKeyFile'))),
    participants: loadDirectoryFile(required(node.directoryFile, 'node.directoryFile')),
    numberHashKey: secret(node.numberHashKey, node.numberHashKeyFile, 'node.numberHashKey'),
    internalToken: secret(node.internalToken, node.internalTokenFile, 'node.internalToken'),
    adminToken:
      node.adminToken === undefined && node.adminTokenFile === undefined
        ? undefined
        : secret(node.adminToken, node.adminTokenFile, 'node.adminToken'),
  });
}

function required(value: string | undefined, key: string): string {
  if (value === undefined)
    throw new IdbridgeError('CONFIG_INVALID', `${key} is required to start a node`);
  return value;
}

function secret(value: string | undefined, file: string | undefined, key: string): string {
  if (value !== undefined) return value;
  if (file === undefined) {
    throw new IdbridgeError('CONFIG_INVALID', `${key} (or ${key}File) is required to start a node`);
  }
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text.length < 16) throw new Error('shorter than 16 characters');
    return text;
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `cannot read ${key}File ${file}: ${(err as Error).message}`,
    );
  }
}
