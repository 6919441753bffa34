import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { Queryable } from '../../db/port.js';

/**
 * Remembers signature nonces in the database, so every instance of a node
 * shares them and a request replayed to a second instance is refused too.
 *
 * Concurrency: `rememberNonce` is one INSERT … ON CONFLICT DO NOTHING; of two
 * racing requests with the same nonce exactly one inserts, the other is told
 * it is a replay.
 */
export interface ReplayStore {
  /** Throws UNAUTHENTICATED when the nonce was already seen within its window. */
  rememberNonce(keyId: string, nonce: string, created: Date): Promise<void>;
  /** Deletes nonces whose window has closed; returns how many. */
  purgeExpired(): Promise<number>;
}

export function createReplayStore(deps: {
  db: Queryable;
  clock: Clock;
  /** The acceptance window for `created` (± seconds); nonces are kept past its far edge. */
  windowSeconds: number;
  /** Purge once every this many accepted nonces, so cleanup needs no timer. */
  purgeEvery?: number;
}): ReplayStore {
  const purgeEvery = deps.purgeEvery ?? 1000;
  let sincePurge = 0;

  const purgeExpired = async (): Promise<number> => {
    const { rowCount } = await deps.db.query('DELETE FROM seen_nonces WHERE expires_at < $1', [
      deps.clock.now(),
    ]);
    return rowCount;
  };

  return {
    async rememberNonce(keyId, nonce, created) {
      // A request is acceptable until created + window (by our clock), so the
      // nonce must be remembered at least that long; one more window covers
      // clock skew between instances.
      const expiresAt = new Date(created.getTime() + 2 * deps.windowSeconds * 1000);
      const { rowCount } = await deps.db.query(
        `INSERT INTO seen_nonces (key_id, nonce, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key_id, nonce) DO NOTHING`,
        [keyId, nonce, expiresAt],
      );
      if (rowCount === 0) {
        throw new IdbridgeError('UNAUTHENTICATED', 'replayed request: this nonce was already used');
      }
      if (++sincePurge >= purgeEvery) {
        sincePurge = 0;
        await purgeExpired();
      }
    },
    purgeExpired,
  };
}
