import type { Queryable } from '../db/port.js';

/**
 * Synthetic subscribers of one sandbox operator, set-based (one statement):
 * `count` numbers of its home range, contracts started in 2015; every 100th
 * number of the range is ported away (held by the next operator instead);
 * every 50th has no subscriber data; every 250th is checked in the BSS (the
 * 202 slow path). Also the numbers ported in from the previous operator.
 * Idempotent: a reused data directory keeps its subscribers.
 */
export async function seedSandboxSubscribers(
  db: Queryable,
  input: { homeDef: string; count: number; portedIn: string[] },
): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM subscriber_contracts');
  if (Number(rows[0]?.n) > 0) return 0;
  const base = Number(`7${input.homeDef}0000000`);
  const { rowCount } = await db.query(
    `INSERT INTO subscriber_contracts
       (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, needs_bss_check, updated_at)
     SELECT $1::bigint + g, 'C-' || g, CASE WHEN g % 10 = 0 THEN 'corporate' ELSE 'individual' END,
            g % 50 <> 7, timestamptz '2015-01-01T00:00:00Z' + (g % 1000) * interval '1 day',
            g % 250 = 3, now()
     FROM generate_series(0, $2::int - 1) AS g
     WHERE g % 100 <> 99`,
    [base, input.count],
  );
  if (input.portedIn.length > 0) {
    await db.query(
      `INSERT INTO subscriber_contracts
         (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, updated_at)
       SELECT ('7' || n)::bigint, 'P-' || n, 'individual', true, timestamptz '2025-06-01T09:00:00Z', now()
       FROM unnest($1::text[]) AS n`,
      [input.portedIn],
    );
  }
  return rowCount + input.portedIn.length;
}
