import type { Queryable } from '../../db/port.js';
import type { BatchIdentificationRequest } from '../../protocol/schemas/index.js';

export interface UnappliedBatch {
  batchId: string;
  operatorId: string;
  itemCount: number;
}

/**
 * Batches planned or sent but not applied, oldest first. With `fullAt`, only
 * those planning can no longer change: full (`fullAt` items) or already
 * sent once — what may go out while planning still runs.
 */
export async function listUnappliedBatches(
  db: Queryable,
  fullAt?: number,
): Promise<UnappliedBatch[]> {
  const { rows } = await db.query<{ batch_id: string; operator_id: string; item_count: number }>(
    `SELECT batch_id, operator_id, item_count FROM legacy_batches
     WHERE state <> 'applied' AND ($1::int IS NULL OR item_count >= $1 OR send_count > 0)
     ORDER BY planned_at, batch_id`,
    [fullAt ?? null],
  );
  return rows.map((r) => ({
    batchId: r.batch_id,
    operatorId: r.operator_id,
    itemCount: r.item_count,
  }));
}

/** Per operator: batches and users in all, and how many are applied (progress). */
export async function batchTotalsByOperator(
  db: Queryable,
): Promise<
  Map<string, { batches: number; batchesDone: number; users: number; usersDone: number }>
> {
  const { rows } = await db.query<{
    operator_id: string;
    batches: string;
    batches_done: string;
    users: string;
    users_done: string;
  }>(
    `SELECT operator_id, count(*) AS batches,
            count(*) FILTER (WHERE state = 'applied') AS batches_done,
            coalesce(sum(item_count), 0) AS users,
            coalesce(sum(item_count) FILTER (WHERE state = 'applied'), 0) AS users_done
     FROM legacy_batches GROUP BY operator_id ORDER BY operator_id`,
  );
  return new Map(
    rows.map((r) => [
      r.operator_id,
      {
        batches: Number(r.batches),
        batchesDone: Number(r.batches_done),
        users: Number(r.users),
        usersDone: Number(r.users_done),
      },
    ]),
  );
}

/**
 * The batch's request body, rebuilt from what planning stored in the batch
 * row: the same items in the same order with the same codes every time, so
 * a re-send is the identical body the operator's idempotency expects.
 * `userIds[i]` is the user of `body.items[i]` (kept out of the body:
 * partners never see it). Numbers and join dates come from users by primary
 * key (a batch's arrays are few rows to the planner, so it probes).
 */
export async function readBatchRequest(
  db: Queryable,
  batchId: string,
): Promise<{ body: BatchIdentificationRequest; userIds: string[] }> {
  const { rows } = await db.query<{
    user_id: string;
    request_id: string;
    msisdn: string;
    code: string;
    user_since: string;
  }>(
    `SELECT i.user_id, i.request_id, u.msisdn, i.code,
            to_char(u.legacy_user_since, 'YYYY-MM-DD') AS user_since
     FROM legacy_batches b
     CROSS JOIN LATERAL unnest(b.user_ids, b.request_ids, b.codes) WITH ORDINALITY
       AS i(user_id, request_id, code, ord)
     JOIN users u ON u.user_id = i.user_id
     WHERE b.batch_id = $1
     ORDER BY i.ord`,
    [batchId],
  );
  return {
    body: {
      batchId,
      items: rows.map((r) => ({
        requestId: r.request_id,
        msisdn: r.msisdn,
        identificationCode: r.code,
        userSince: r.user_since,
      })),
    },
    userIds: rows.map((r) => r.user_id),
  };
}

/**
 * Records that the batch is going out (before the request, so a crash
 * leaves it `sent`); returns false when it is already applied.
 */
export async function markBatchSending(
  db: Queryable,
  batchId: string,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE legacy_batches SET state = 'sent', sent_at = coalesce(sent_at, $2), send_count = send_count + 1
     WHERE batch_id = $1 AND state <> 'applied'`,
    [batchId, now],
  );
  return rowCount === 1;
}

export async function recordBatchError(
  db: Queryable,
  batchId: string,
  message: string,
): Promise<void> {
  await db.query('UPDATE legacy_batches SET last_error = $2 WHERE batch_id = $1', [
    batchId,
    message.slice(0, 1000),
  ]);
}

/** Locks the batch row; false when it is already applied (a concurrent or earlier apply won). */
export async function lockBatchForApply(tx: Queryable, batchId: string): Promise<boolean> {
  const { rows } = await tx.query<{ state: string }>(
    'SELECT state FROM legacy_batches WHERE batch_id = $1 FOR UPDATE',
    [batchId],
  );
  return rows[0] !== undefined && rows[0].state !== 'applied';
}

/**
 * Stores the per-item outcomes: confirmed → matched; NUMBER_REASSIGNED →
 * reassigned; NO_SUBSCRIBER_DATA → no_subscriber_data; NOT_SERVED → back to
 * waiting for one re-route (not_served when it already was re-routed). This
 * is the only write of a planned user's row (planning writes the batch, whose
 * arrays keep each user's request id and code). It changes only status,
 * not_served_by and decided_at: the row hardly grows, so PostgreSQL can
 * update it in place (HOT) in the room the fill factor leaves. Returns each
 * user's outcome with its item's code.
 *
 * Rows are found by primary key: `userIds[i]` answers the batch's item i, as
 * read by readBatchRequest (the caller checked the answer's requestIds
 * against that body). The guard "still waiting" compares with a value that
 * comes in with the items, not with a literal: statistics taken at one stage
 * of a reconciliation say little about the next, and a literal on status
 * once let PostgreSQL believe legacy_users yields one row, put it on the
 * outside of the join and scan it whole once per item (one 10,000-item
 * apply ran for hours at 10,000,000 users, and minutes at 200,000). As a
 * join condition it does not shrink the table's estimate, so the plan stays
 * 10,000 primary key probes whatever the statistics say.
 */
export async function recordBatchOutcomes(
  tx: Queryable,
  input: {
    batchId: string;
    operatorId: string;
    userIds: string[];
    /** The code of item i, for the users to be identified under. */
    codes: string[];
    results: string[];
    reasons: Array<string | null>;
    now: Date;
  },
): Promise<Array<{ userId: string; status: string; code: string }>> {
  const { rows } = await tx.query<{ user_id: string; status: string; code: string }>(
    `UPDATE legacy_users lu SET
       status = CASE
         WHEN r.result = 'confirmed' THEN 'matched'
         WHEN r.reason = 'NUMBER_REASSIGNED' THEN 'reassigned'
         WHEN r.reason = 'NO_SUBSCRIBER_DATA' THEN 'no_subscriber_data'
         WHEN r.reason = 'NOT_SERVED' AND lu.not_served_by IS NULL THEN 'waiting'
         WHEN r.reason = 'NOT_SERVED' THEN 'not_served'
       END,
       not_served_by = CASE WHEN r.reason = 'NOT_SERVED' THEN $3 ELSE lu.not_served_by END,
       decided_at = $4
     FROM unnest($1::text[], $2::text[], $5::uuid[], $6::text[], $7::text[])
       AS r(result, reason, user_id, status_before, code)
     WHERE lu.user_id = r.user_id AND lu.status = r.status_before
     RETURNING lu.user_id, lu.status, r.code`,
    [
      input.results,
      input.reasons,
      input.operatorId,
      input.now,
      input.userIds,
      input.userIds.map(() => 'waiting'),
      input.codes,
    ],
  );
  return rows.map((r) => ({ userId: r.user_id, status: r.status, code: r.code }));
}

export async function markBatchApplied(
  tx: Queryable,
  batchId: string,
  now: Date,
  evidence: unknown,
): Promise<void> {
  await tx.query(
    `UPDATE legacy_batches SET state = 'applied', applied_at = $2, evidence = $3::jsonb, last_error = NULL
     WHERE batch_id = $1`,
    [batchId, now, JSON.stringify(evidence ?? null)],
  );
}
