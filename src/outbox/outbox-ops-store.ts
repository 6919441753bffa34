import type { Queryable } from '../db/port.js';
import { OUTBOX_COLUMNS, type OutboxDbRow, toOutboxRow } from './outbox-row.js';
import type { OutboxRow, OutboxState } from './outbox-types.js';

/**
 * Views and actions for operators of the software (`idbridge outbox …`) and
 * the compliance alert. None of them deletes an undelivered row.
 */

export interface OutboxStatusLine {
  partnerId: string;
  kind: string;
  /** Not yet acknowledged (includes failing and leased rows). */
  pending: number;
  /** Pending and due now (waiting for a worker; not in flight). */
  due: number;
  /** Pending with at least one failed attempt. */
  failing: number;
  /** Being delivered right now: leased to a worker, or held by its open transaction. */
  inFlight: number;
  rejected: number;
  /** The longest-waiting due row became due at… */
  oldestDueAt: Date | null;
  /** The nearest compliance deadline among pending rows. */
  earliestDueBy: Date | null;
  nextAttemptAt: Date | null;
}

/** Per partner and kind, over undelivered rows only (history is not scanned). */
export async function outboxStatus(db: Queryable, now: Date): Promise<OutboxStatusLine[]> {
  const { rows } = await db.query<{
    partner_id: string;
    kind: string;
    pending: string;
    due: string;
    failing: string;
    in_flight: string;
    rejected: string;
    oldest_due_at: Date | null;
    earliest_due_by: Date | null;
    next_attempt_at: Date | null;
  }>(
    `SELECT partner_id, kind,
            count(*) FILTER (WHERE state = 'pending') AS pending,
            count(*) FILTER (WHERE state = 'pending' AND next_attempt_at <= $1 AND NOT held
                             AND (claimed_until IS NULL OR claimed_until <= $1)) AS due,
            count(*) FILTER (WHERE state = 'pending' AND last_error IS NOT NULL) AS failing,
            count(*) FILTER (WHERE state = 'pending' AND (claimed_until > $1 OR held)) AS in_flight,
            count(*) FILTER (WHERE state = 'rejected') AS rejected,
            min(next_attempt_at) FILTER (WHERE state = 'pending' AND next_attempt_at <= $1
                                         AND NOT held) AS oldest_due_at,
            min(due_by) FILTER (WHERE state = 'pending') AS earliest_due_by,
            min(next_attempt_at) FILTER (WHERE state = 'pending') AS next_attempt_at
       FROM (
         -- A batch held by a worker's open transaction (claimDueBatchHeld)
         -- is locked, not leased: a locked row's xmax is its locker's
         -- transaction id, so a row whose xmax belongs to a running
         -- transaction is being delivered. (Sessions of other database roles
         -- show no transaction id to an unprivileged role; their batches
         -- then count as due.)
         SELECT o.partner_id, o.kind, o.state, o.next_attempt_at, o.claimed_until,
                o.last_error, o.due_by,
                o.state = 'pending' AND o.xmax IN (
                  SELECT a.backend_xid FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL
                ) AS held
           FROM outbox o
          -- Two equalities, not IN: the planner can OR the two partial indexes
          -- (pending, rejected) and skip the delivered history.
          WHERE o.state = 'pending' OR o.state = 'rejected') o
      GROUP BY partner_id, kind
      ORDER BY partner_id, kind`,
    [now],
  );
  return rows.map((r) => ({
    partnerId: r.partner_id,
    kind: r.kind,
    pending: Number(r.pending),
    due: Number(r.due),
    failing: Number(r.failing),
    inFlight: Number(r.in_flight),
    rejected: Number(r.rejected),
    oldestDueAt: r.oldest_due_at,
    earliestDueBy: r.earliest_due_by,
    nextAttemptAt: r.next_attempt_at,
  }));
}

/** `failing` = pending with an error; `undelivered` = pending or rejected. */
export type OutboxStateFilter = OutboxState | 'failing' | 'undelivered';

export interface InspectOptions {
  partnerId?: string | undefined;
  kind?: string | undefined;
  state?: OutboxStateFilter | undefined;
  limit?: number | undefined;
  /** Payloads may carry identification codes (R11): off unless asked for. */
  includePayload?: boolean | undefined;
}

const STATE_FILTER_SQL: Record<OutboxStateFilter, string> = {
  pending: `state = 'pending'`,
  delivered: `state = 'delivered'`,
  rejected: `state = 'rejected'`,
  failing: `state = 'pending' AND last_error IS NOT NULL`,
  undelivered: `(state = 'pending' OR state = 'rejected')`,
};

/** Rows with their attempts and last error, oldest first (default: undelivered, 50). */
export async function inspectOutbox(
  db: Queryable,
  options: InspectOptions = {},
): Promise<OutboxRow[]> {
  const state = options.state ?? 'undelivered';
  const where = STATE_FILTER_SQL[state];
  if (!where) throw new Error(`unknown outbox state filter ${JSON.stringify(state)}`);
  const { rows } = await db.query<OutboxDbRow>(
    `SELECT ${OUTBOX_COLUMNS}${options.includePayload ? ', payload' : ''}
       FROM outbox
      WHERE ${where}
        AND ($1::text IS NULL OR partner_id = $1)
        AND ($2::text IS NULL OR kind = $2)
      ORDER BY created_at, id
      LIMIT $3`,
    [options.partnerId ?? null, options.kind ?? null, options.limit ?? 50],
  );
  return rows.map(toOutboxRow);
}

export interface RetryOptions {
  /** Exactly these rows (pending or rejected, whatever their history). */
  ids?: readonly string[] | undefined;
  /** Every failing row of this partner (and rejected ones with `includeRejected`). */
  partnerId?: string | undefined;
  kind?: string | undefined;
  includeRejected?: boolean | undefined;
  now: Date;
}

/**
 * Makes failing (and, when asked, rejected) rows due now; a rejected row
 * becomes pending again. Rows in flight (leased, or held by a worker's open
 * transaction) are left alone: their worker finishes them. Delivered rows are never touched. Returns rows changed.
 */
export async function retryOutbox(db: Queryable, options: RetryOptions): Promise<number> {
  if (!options.ids && options.partnerId === undefined) {
    throw new Error('retryOutbox needs ids or a partnerId');
  }
  const byIds = options.ids !== undefined;
  // Rows a worker holds by its open transaction are skipped, not waited for.
  const { rowCount } = await db.query(
    `UPDATE outbox
        SET state = 'pending', next_attempt_at = $1,
            rejection_code = NULL, rejected_at = NULL
      WHERE id IN (
        SELECT id FROM outbox
         WHERE ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
           AND ($3::text IS NULL OR partner_id = $3)
           AND ($4::text IS NULL OR kind = $4)
           AND (claimed_until IS NULL OR claimed_until <= $1)
           AND ((state = 'pending' AND ($5 OR last_error IS NOT NULL))
                OR (state = 'rejected' AND $6))
           FOR UPDATE SKIP LOCKED)`,
    [
      options.now,
      byIds ? [...(options.ids ?? [])] : null,
      options.partnerId ?? null,
      options.kind ?? null,
      byIds,
      byIds || options.includeRejected === true,
    ],
  );
  return rowCount;
}

export interface DeadlineRisk {
  id: string;
  kind: string;
  partnerId: string;
  dueBy: Date;
  attempts: number;
  lastError: string | null;
}

/**
 * Pending rows whose deadline is within `warnBeforeMs` of `now` (or past) and
 * not alerted yet; marks them alerted, so across every process each row is
 * reported once (R12: a late notice is a compliance fact to make visible).
 */
export async function findDeadlineRisks(
  db: Queryable,
  options: { now: Date; warnBeforeMs: number; limit?: number },
): Promise<DeadlineRisk[]> {
  const { rows } = await db.query<{
    id: string;
    kind: string;
    partner_id: string;
    due_by: Date;
    attempts: number;
    last_error: string | null;
  }>(
    `UPDATE outbox SET alerted_at = $1
      WHERE id IN (
        SELECT id FROM outbox
         WHERE state = 'pending' AND alerted_at IS NULL AND due_by IS NOT NULL
           AND due_by <= $1::timestamptz + $2::integer * interval '1 millisecond'
         ORDER BY due_by
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
     RETURNING id::text AS id, kind, partner_id, due_by, attempts, last_error`,
    [options.now, Math.round(options.warnBeforeMs), options.limit ?? 1000],
  );
  return rows
    .map((r) => ({
      id: r.id,
      kind: r.kind,
      partnerId: r.partner_id,
      dueBy: r.due_by,
      attempts: Number(r.attempts),
      lastError: r.last_error,
    }))
    .sort((a, b) => a.dueBy.getTime() - b.dueBy.getTime());
}

/**
 * Deletes delivered rows acknowledged before `deliveredBefore` (R11: keep no
 * longer than needed). Only delivered rows: pending and rejected ones stay.
 */
export async function purgeDeliveredOutbox(
  db: Queryable,
  options: { deliveredBefore: Date },
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < $1`,
    [options.deliveredBefore],
  );
  return rowCount;
}
