import type { Queryable } from '../../src/db/port.js';
import type { PermissionCheck } from '../../src/messenger/permission/permission-check.js';
import { maySend, type UserState } from '../../src/messenger/users/user-states.js';

/**
 * PROTOTYPE for the benchmark only — a proposed change to
 * src/messenger/permission/permission-check.ts, measured here before the
 * lead decides. Same contract as createPermissionCheck with `ttlMs: 0`
 * (every answer is a fresh read; nothing is cached), but the reads of the
 * checks that arrive while one read is on the wire are coalesced into the
 * next single `WHERE user_id = ANY($1)` query. Each answer still reflects a
 * read that started after the check arrived, so the "never yes for a
 * suspended user" bound is unchanged; the database sees one round trip per
 * batch instead of one per check.
 */
export function createBatchedPermissionCheck(db: Queryable, maxBatch = 500): PermissionCheck {
  type Waiter = (state: UserState | null) => void;
  const queued = new Map<string, Waiter[]>();
  let inFlight = false;

  const flush = async (): Promise<void> => {
    inFlight = true;
    while (queued.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [id, waiters] of queued) {
        if (batch.size >= maxBatch) break;
        batch.set(id, waiters);
      }
      for (const id of batch.keys()) queued.delete(id);
      const ids = [...batch.keys()];
      try {
        const { rows } = await db.query<{ user_id: string; state: UserState }>(
          'SELECT user_id, state FROM users WHERE user_id = ANY($1::uuid[])',
          [ids],
        );
        const found = new Map(rows.map((r) => [r.user_id, r.state]));
        for (const [id, waiters] of batch) for (const w of waiters) w(found.get(id) ?? null);
      } catch {
        // Treated as unknown (no permission) in the prototype; production code would reject.
        for (const waiters of batch.values()) for (const w of waiters) w(null);
      }
    }
    inFlight = false;
  };

  return {
    async check(userId) {
      const state = await new Promise<UserState | null>((resolve) => {
        const waiters = queued.get(userId);
        if (waiters) waiters.push(resolve);
        else queued.set(userId, [resolve]);
        if (!inFlight) void flush();
      });
      if (state === null) return { userId, maySend: false, state: 'unknown' };
      return { userId, maySend: maySend(state), state };
    },
    invalidate: () => {},
  };
}
