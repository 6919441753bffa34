import type { Queryable } from '../../db/port.js';

/** Where reconciliation of the legacy base stands. */
export interface LegacySummary {
  /** Data match (I1): identified with their code. */
  matched: number;
  /** NUMBER_REASSIGNED: the contract began after the user joined. */
  reassigned: number;
  /** NO_SUBSCRIBER_DATA: the operator serves the number but holds no subscriber data. */
  noSubscriberData: number;
  /** NOT_SERVED even after one re-route. */
  notServed: number;
  /** No operator in the directory serves the number (I5). */
  unroutable: number;
  /** Lines of the imported files whose number is not a phone number. */
  invalid: number;
  /** Not reconciled yet (waiting or in a batch not yet applied). */
  pending: number;
  batches: number;
  /** Sends beyond the first of a batch (each re-sent the same batchId after a crash). */
  batchResends: number;
}

export async function readLegacySummary(db: Queryable): Promise<LegacySummary> {
  const { rows } = await db.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM legacy_users GROUP BY status',
  );
  const by = new Map(rows.map((r) => [r.status, Number(r.n)]));
  const invalid = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM legacy_import_rejects j
     JOIN legacy_import_runs r ON r.run_id = j.run_id
     WHERE j.reason = 'INVALID_NUMBER' AND r.status <> 'superseded'`,
  );
  const batches = await db.query<{ n: string; resends: string }>(
    'SELECT count(*) AS n, coalesce(sum(greatest(send_count - 1, 0)), 0) AS resends FROM legacy_batches',
  );
  const count = (s: string) => by.get(s) ?? 0;
  return {
    matched: count('matched'),
    reassigned: count('reassigned'),
    noSubscriberData: count('no_subscriber_data'),
    notServed: count('not_served'),
    unroutable: count('unroutable'),
    invalid: Number(invalid.rows[0]?.n ?? 0),
    pending: count('waiting') + count('planned'),
    batches: Number(batches.rows[0]?.n ?? 0),
    batchResends: Number(batches.rows[0]?.resends ?? 0),
  };
}
