import type { Queryable } from '../../db/port.js';
import type { UserState } from '../users/user-states.js';

type Waiter = { resolve: (state: UserState | null) => void; reject: (err: unknown) => void };

/**
 * Reads users' states by id, coalescing: the ids asked for while one query
 * is on the wire go out together in the next query (at most `maxBatch` per
 * query). A read that started before an id was asked for never answers it,
 * so each answer is at least as fresh as the moment it was asked. A failed
 * query rejects exactly the callers it carried.
 */
export function createCoalescedStateReader(db: Queryable, maxBatch: number) {
  const queued = new Map<string, Waiter[]>();
  let flushing = false;

  const takeBatch = (): Map<string, Waiter[]> => {
    const batch = new Map<string, Waiter[]>();
    for (const [id, waiters] of queued) {
      if (batch.size >= maxBatch) break;
      batch.set(id, waiters);
    }
    for (const id of batch.keys()) queued.delete(id);
    return batch;
  };

  const flush = async (): Promise<void> => {
    flushing = true;
    try {
      while (queued.size > 0) {
        const batch = takeBatch();
        try {
          const ids = [...batch.keys()];
          const { rows } =
            ids.length === 1
              ? await db.query<{ user_id: string; state: UserState }>(
                  'SELECT user_id, state FROM users WHERE user_id = $1',
                  ids,
                )
              : await db.query<{ user_id: string; state: UserState }>(
                  'SELECT user_id, state FROM users WHERE user_id = ANY($1::uuid[])',
                  [ids],
                );
          const found = new Map(rows.map((r) => [r.user_id, r.state]));
          for (const [id, waiters] of batch) {
            // Postgres prints uuids in lower case whatever case was asked.
            for (const w of waiters) w.resolve(found.get(id.toLowerCase()) ?? null);
          }
        } catch (err) {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        }
      }
    } finally {
      flushing = false;
    }
  };

  return (userId: string): Promise<UserState | null> =>
    new Promise<UserState | null>((resolve, reject) => {
      const waiters = queued.get(userId);
      if (waiters) waiters.push({ resolve, reject });
      else queued.set(userId, [{ resolve, reject }]);
      if (!flushing) void flush();
    });
}
