import type { Queryable } from './port.js';

/**
 * For the rest of the transaction, PostgreSQL joins by nested loops only, so
 * every join reaches the big table through its index, one key at a time.
 *
 * Meant for transactions whose statements join a key list of at most a few
 * ten thousand rows (`unnest($1::uuid[])`, a locked batch of legacy users)
 * to a table of millions by its primary key. With a custom plan the planner
 * knows the list's length and, by its page-cost model, often prefers hashing
 * or merging the whole table: at 400,000 legacy users, planning 50,000 of
 * them spent 245–650 ms of a 634–1,592 ms UPDATE reading and hashing all
 * 400,000 rows, and a merge join walked the whole primary key (1.1 s). That
 * cost grows with the table, not the batch, and is paid per batch, so it is
 * quadratic in the user base over a reconciliation. Key lookups cost the
 * same per row at any table size.
 *
 * `set_config(…, true)` is SET LOCAL: it ends with the transaction. One
 * statement, so it works on both drivers.
 */
export async function joinByKeyLookups(tx: Queryable): Promise<void> {
  await tx.query(
    `SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`,
  );
}
