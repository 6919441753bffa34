import type { Clock } from '../core/clock.js';
import { IdbridgeError } from '../core/errors.js';
import type { Queryable } from '../db/port.js';

/**
 * Remembers signature nonces in the database, so every instance of a node
 * shares them and a request replayed to a second instance is refused too.
 *
 * Concurrency: a nonce is remembered by an INSERT … ON CONFLICT DO NOTHING;
 * of two racing requests with the same nonce exactly one inserts, the other
 * is told it is a replay.
 */
export interface ReplayStore {
  /** Throws UNAUTHENTICATED when the nonce was already seen within its window. */
  rememberNonce(keyId: string, nonce: string, created: Date): Promise<void>;
  /** Deletes nonces whose window has closed; returns how many. */
  purgeExpired(): Promise<number>;
}

interface Waiter {
  keyId: string;
  nonce: string;
  expiresAt: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Nonces written per statement at most. */
const MAX_BATCH = 500;

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
  // Every signed request remembers its nonce before it is handled.
  // One autocommit INSERT per request was a statement, a commit and a round
  // trip of its own on the operator's busiest path, so the nonces of requests
  // that arrive while one write is on the wire go out together in the next
  // (the first request of a quiet moment waits for nobody).
  let queued: Waiter[] = [];
  let flushing = false;

  const purgeExpired = async (): Promise<number> => {
    const { rowCount } = await deps.db.query('DELETE FROM seen_nonces WHERE expires_at < $1', [
      deps.clock.now(),
    ]);
    return rowCount;
  };

  const write = async (batch: readonly Waiter[]): Promise<Set<string>> => {
    // A key id or nonce never holds a newline (signature-fields.ts parses
    // them as structured-field strings), so it can join the pair for lookup.
    const { rows } = await deps.db.query<{ key_id: string; nonce: string }>(
      `INSERT INTO seen_nonces (key_id, nonce, expires_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (key_id, nonce) DO NOTHING
       RETURNING key_id, nonce`,
      [batch.map((w) => w.keyId), batch.map((w) => w.nonce), batch.map((w) => w.expiresAt)],
    );
    return new Set(rows.map((r) => `${r.key_id}\n${r.nonce}`));
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    try {
      while (queued.length > 0) {
        const batch = queued.slice(0, MAX_BATCH);
        queued = queued.slice(batch.length);
        let inserted: Set<string>;
        try {
          inserted = await write(batch);
        } catch (err) {
          // A failed write rejects exactly the requests it carried.
          for (const w of batch) w.reject(err);
          continue;
        }
        for (const w of batch) {
          // The same nonce twice in one write is inserted once: the first
          // request to ask gets it, any other is a replay.
          if (inserted.delete(`${w.keyId}\n${w.nonce}`)) w.resolve();
          else {
            w.reject(
              new IdbridgeError('UNAUTHENTICATED', 'replayed request: this nonce was already used'),
            );
          }
        }
        sincePurge += batch.length;
        if (sincePurge >= purgeEvery) {
          sincePurge = 0;
          await purgeExpired().catch(() => {
            // Cleanup only: the next purge retries, and an unpurged nonce
            // just lives longer.
          });
        }
      }
    } finally {
      flushing = false;
    }
  };

  return {
    rememberNonce(keyId, nonce, created) {
      // A request is acceptable until created + window (by our clock), so the
      // nonce must be remembered at least that long; one more window covers
      // clock skew between instances.
      const expiresAt = new Date(created.getTime() + 2 * deps.windowSeconds * 1000);
      return new Promise<void>((resolve, reject) => {
        queued.push({ keyId, nonce, expiresAt, resolve, reject });
        if (!flushing) void flush();
      });
    },
    purgeExpired,
  };
}
