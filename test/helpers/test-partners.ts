import {
  createKeyResolver,
  createSigner,
  generateSigningKeyPair,
  type KeyResolver,
  type PublicJwk,
  type Signer,
} from '../../src/protocol/signatures/index.js';

export interface TestParticipantKeys {
  id: string;
  signer: Signer;
  publicJwk: PublicJwk;
}

/** Fresh Ed25519 keys for each named participant, and one resolver for all. */
export function createTestPartners(ids: string[]): {
  keys: Record<string, TestParticipantKeys>;
  resolveKey: KeyResolver;
} {
  const keys: Record<string, TestParticipantKeys> = {};
  for (const id of ids) {
    const pair = generateSigningKeyPair(`${id}-test-1`);
    keys[id] = { id, signer: createSigner(pair.privateJwk), publicJwk: pair.publicJwk };
  }
  const resolveKey = createKeyResolver(
    Object.values(keys).map((k) => ({ id: k.id, keys: [k.publicJwk] })),
  );
  return { keys, resolveKey };
}
