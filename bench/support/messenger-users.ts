import type { Database, Queryable } from '../../src/db/port.js';

/**
 * The synthetic user base of the permission benchmark. User `i` (0-based)
 * has id `00000000-0000-4000-8000-<i in hex, 12 digits>` (so the load client
 * derives ids without a round trip) and number `+7916` + i (7 digits):
 * - suspended when i % 10 = 0 (10%: a "no" is never cached, so these always
 *   read the database);
 * - identified otherwise, with a code at operator `mts`.
 */
export function benchUserId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** Inserts users [0, count) with INSERT … SELECT generate_series, then ANALYZEs. */
export async function seedBenchUsers(
  db: Queryable,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  if (count > 10_000_000) throw new Error('at most 10,000,000 users (7-digit numbers)');
  const chunk = 250_000;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk) - 1;
    await db.query(
      `INSERT INTO users (user_id, msisdn, state, identification_code, operator_id,
                          identified_at, suspended_at, grace_until, created_at, updated_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
              '+7916' || lpad(i::text, 7, '0'),
              CASE WHEN i % 10 = 0 THEN 'suspended' ELSE 'identified' END,
              'bench-code-' || i, 'mts',
              now() - interval '30 days',
              CASE WHEN i % 10 = 0 THEN now() - interval '1 day' END,
              CASE WHEN i % 10 = 0 THEN now() + interval '6 days' END,
              now() - interval '30 days', now()
       FROM generate_series($1::bigint, $2::bigint) AS i`,
      [from, to],
    );
    onProgress?.(to + 1);
  }
  await db.exec('ANALYZE users');
}

/**
 * `db` with a count of the statements whose SQL contains `needle` (e.g. the
 * permission read), so a benchmark can tell cache hits from database reads
 * without touching the node's code. Statements inside transactions count too
 * (BEGIN/COMMIT do not).
 */
export function countingDatabase(db: Database, needle: string): Database & { count(): number } {
  let n = 0;
  return {
    kind: db.kind,
    schema: db.schema,
    query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
      if (sql.includes(needle)) n++;
      return db.query<R>(sql, params);
    },
    exec: (sql) => db.exec(sql),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]) {
            if (sql.includes(needle)) n++;
            return tx.query<R>(sql, params);
          },
          exec: (sql) => tx.exec(sql),
        }),
      ),
    close: () => db.close(),
    count: () => n,
  };
}
