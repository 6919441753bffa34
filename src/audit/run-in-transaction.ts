import type { Database, Queryable } from '../db/port.js';

/**
 * Runs `fn` in a transaction: the caller's own when `db` is already one, a
 * new one when `db` is a whole Database. Lets store functions that accept
 * either (e.g. outbox completions) append audit entries atomically.
 */
export async function runInTransaction<T>(
  db: Queryable,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const maybe = db as Partial<Database>;
  if (typeof maybe.transaction === 'function') return maybe.transaction(fn);
  return fn(db);
}
