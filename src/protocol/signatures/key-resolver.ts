import type { KeyObject } from 'node:crypto';
import { IdbridgeError } from '../../core/errors.js';
import type { PublicJwk } from '../schemas/directory-schemas.js';
import { importPublicJwk } from './signing-keys.js';

/** The key a `keyid` names, and whose it is. */
export interface ResolvedKey {
  participantId: string;
  key: KeyObject;
}

/**
 * Looks up a signature's `keyid`. `undefined` means unknown: the message is
 * refused. Must be synchronous and cheap: it runs on every request.
 */
export type KeyResolver = (keyId: string) => ResolvedKey | undefined;

/**
 * A key built per request (from PEM or JWK) adds its parse and set-up to
 * every verify; bench/signatures.ts measures verify with a PEM parse per
 * call against this cache. So each key is imported once and kept. Entries are
 * keyed by `kid` and `x`, so a directory reload reuses unchanged keys and a
 * rotated key under an old kid is imported afresh. Not shared across threads;
 * safe for concurrent use within one event loop (no awaits inside).
 */
export interface PublicKeyCache {
  get(jwk: PublicJwk): KeyObject;
  readonly size: number;
}

export function createPublicKeyCache(): PublicKeyCache {
  const keys = new Map<string, KeyObject>();
  return {
    get(jwk) {
      const cacheKey = `${jwk.kid}\u0000${jwk.x}`;
      let key = keys.get(cacheKey);
      if (key === undefined) {
        key = importPublicJwk(jwk);
        keys.set(cacheKey, key);
      }
      return key;
    },
    get size() {
      return keys.size;
    },
  };
}

/** The fields of a directory participant that key resolution needs. */
export interface KeyHolder {
  id: string;
  keys: readonly PublicJwk[];
  /** protocol.md §1: a participant with no agreement in force is refused. */
  agreement?: boolean;
}

/**
 * A resolver over the participants this node deals with. Keys of
 * participants whose `agreement` is false are left out, so their requests
 * fail as "unknown keyid" (protocol.md §1). A `kid` listed twice is a
 * configuration error: with two participants either could sign as the other.
 */
export function createKeyResolver(
  participants: readonly KeyHolder[],
  cache: PublicKeyCache = createPublicKeyCache(),
): KeyResolver {
  const byKid = new Map<string, ResolvedKey>();
  for (const p of participants) {
    if (p.agreement === false) continue;
    for (const jwk of p.keys) {
      const existing = byKid.get(jwk.kid);
      if (existing !== undefined) {
        throw new IdbridgeError(
          'CONFIG_INVALID',
          `key id "${jwk.kid}" is listed twice (${existing.participantId} and ${p.id})`,
        );
      }
      byKid.set(jwk.kid, { participantId: p.id, key: cache.get(jwk) });
    }
  }
  return (keyId) => byKid.get(keyId);
}
