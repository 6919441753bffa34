import { appendAuditEntry } from '../audit/append-audit-entry.js';
import { runInTransaction } from '../audit/run-in-transaction.js';
import type { IdGenerator } from '../core/ids.js';
import { maskPhoneNumbers } from '../core/mask-phone-numbers.js';
import type { Queryable } from '../db/port.js';
import { assertBackoffSchedule, DEFAULT_BACKOFF_MS } from './backoff-schedule.js';
import type { ClaimedBatch, NewOutboxItem } from './outbox-types.js';

/**
 * The delivery lifecycle of outbox rows: enqueue, claim, complete.
 *
 * Concurrency: any number of workers in any number of processes may call
 * these at once. A claim is one statement that locks rows with
 * `FOR UPDATE SKIP LOCKED` and leases them, so no row is leased to two
 * workers at a time. Completions are guarded by `claimed_by`: once another
 * worker has taken over an expired lease, the old worker's late completion
 * changes nothing. A worker whose lease expired without a takeover may still
 * complete (the delivery did happen; receivers deduplicate by id, §5).
 */

/** PostgreSQL delivers NOTIFY on commit and drops it on rollback. */
export const OUTBOX_CHANNEL = 'idbridge_outbox';

/** Rows per INSERT statement; bounds the size of one parameter array. */
const ENQUEUE_CHUNK = 5_000;

export interface EnqueueResult {
  /** Ids of the rows inserted; an already-enqueued dedupe key adds none. */
  insertedIds: string[];
  skipped: number;
}

/**
 * Writes items inside the caller's transaction (`tx`): the row is the intent,
 * and nothing is sent unless that transaction commits (side effects after
 * commit). Bulk: thousands of notices of one termination go in a few
 * statements. Also queues a NOTIFY on `idbridge_outbox` (payload: the schema)
 * so listening workers wake on commit; in-process callers call
 * `worker.wake()` after their commit.
 */
export async function enqueueOutbox(
  tx: Queryable,
  items: readonly NewOutboxItem[],
  options: { now: Date; newId: IdGenerator },
): Promise<EnqueueResult> {
  const result: EnqueueResult = { insertedIds: [], skipped: 0 };
  if (items.length === 0) return result;
  for (let start = 0; start < items.length; start += ENQUEUE_CHUNK) {
    const chunk = items.slice(start, start + ENQUEUE_CHUNK);
    // Arrays travel as text[] and are cast in SQL: the one encoding both
    // drivers agree on for uuid, jsonb and timestamptz arrays.
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO outbox (id, kind, partner_id, dedupe_key, payload, created_at, due_by, next_attempt_at)
       SELECT u.id::uuid, u.kind, u.partner_id, u.dedupe_key, u.payload::jsonb, $8::timestamptz,
              u.due_by::timestamptz, u.not_before::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
              AS u(id, kind, partner_id, dedupe_key, payload, due_by, not_before)
       ON CONFLICT (kind, dedupe_key) DO NOTHING
       RETURNING id::text AS id`,
      [
        chunk.map(() => options.newId()),
        chunk.map((i) => i.kind),
        chunk.map((i) => i.partnerId),
        chunk.map((i) => i.dedupeKey),
        chunk.map((i) => JSON.stringify(i.payload ?? null)),
        chunk.map((i) => i.dueBy?.toISOString() ?? null),
        chunk.map((i) => (i.notBefore ?? options.now).toISOString()),
        options.now,
      ],
    );
    result.insertedIds.push(...rows.map((r) => r.id));
    result.skipped += chunk.length - rows.length;
  }
  if (result.insertedIds.length > 0) {
    await tx.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', current_schema())`);
  }
  return result;
}

export interface ClaimOptions {
  workerId: string;
  /** Only these kinds (default: all). */
  kinds?: readonly string[];
  /** Partners to leave alone (open circuits). */
  skipPartners?: readonly string[];
  maxItems?: number;
  leaseMs: number;
  now: Date;
}

interface ClaimedDbRow {
  id: string;
  kind: string;
  partner_id: string;
  dedupe_key: string;
  payload: unknown;
  attempts: number;
  created_at: Date;
  due_by: Date | null;
  next_attempt_at: Date;
  claimed_until: Date;
}

/**
 * Leases up to `maxItems` due rows of ONE partner and kind (the partner and
 * kind of the oldest due row not locked by anyone else), or returns null when
 * nothing is due. Due means pending, `next_attempt_at <= now` and no live
 * lease: a dead worker's claim is claimable again once its lease ends.
 * Counts an attempt on each row.
 */
export async function claimDueBatch(
  db: Queryable,
  options: ClaimOptions,
): Promise<ClaimedBatch | null> {
  const maxItems = options.maxItems ?? 1000;
  const { rows } = await db.query<ClaimedDbRow>(
    `WITH head AS (
       SELECT partner_id, kind FROM outbox
        WHERE state = 'pending' AND next_attempt_at <= $1
          AND (claimed_until IS NULL OR claimed_until <= $1)
          AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
          AND partner_id <> ALL($3::text[])
        ORDER BY next_attempt_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
     ), batch AS (
       -- Scalar sub-selects (not a join) let the planner walk the
       -- (partner_id, kind, next_attempt_at) index of that one group.
       SELECT o.id FROM outbox o
        WHERE o.partner_id = (SELECT partner_id FROM head) AND o.kind = (SELECT kind FROM head)
          AND o.state = 'pending' AND o.next_attempt_at <= $1
          AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
        ORDER BY o.next_attempt_at, o.id
        LIMIT $4
        FOR UPDATE OF o SKIP LOCKED
     )
     UPDATE outbox
        SET claimed_by = $5, claimed_until = $1::timestamptz + $6::integer * interval '1 millisecond',
            attempts = attempts + 1, last_attempt_at = $1
       FROM batch
      WHERE outbox.id = batch.id
     RETURNING outbox.id::text AS id, outbox.kind, outbox.partner_id, outbox.dedupe_key,
               outbox.payload, outbox.attempts, outbox.created_at, outbox.due_by,
               outbox.next_attempt_at, outbox.claimed_until`,
    [
      options.now,
      options.kinds ? [...options.kinds] : null,
      [...(options.skipPartners ?? [])],
      maxItems,
      options.workerId,
      Math.round(options.leaseMs),
    ],
  );
  const first = rows[0];
  if (!first) return null;
  rows.sort(
    (a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || (a.id < b.id ? -1 : 1),
  );
  return {
    kind: first.kind,
    partnerId: first.partner_id,
    claimedUntil: first.claimed_until,
    items: rows.map((r) => ({
      id: r.id,
      dedupeKey: r.dedupe_key,
      payload: r.payload,
      attempts: Number(r.attempts),
      createdAt: r.created_at,
      dueBy: r.due_by,
    })),
  };
}

const HELD_BY = `id = ANY($1::uuid[]) AND claimed_by = $2 AND state = 'pending'`;

/** Acknowledged by the receiver: kept as history, never retried. Returns rows changed. */
export async function markDelivered(
  db: Queryable,
  ids: readonly string[],
  workerId: string,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  return runInTransaction(db, async (tx) => {
    const { rows, rowCount } = await tx.query<{ id: string }>(
      `UPDATE outbox SET state = 'delivered', delivered_at = $3, claimed_by = NULL, claimed_until = NULL
        WHERE ${HELD_BY} RETURNING id::text AS id`,
      [[...ids], workerId, now],
    );
    // Issue 8: one audit entry per completion call, with the ids it completed.
    if (rowCount > 0) {
      await appendAuditEntry(tx, {
        kind: 'outbox.delivered',
        subject: `outbox:${rows[0]?.id}`,
        at: now,
        data: { ids: rows.map((r) => r.id), workerId },
      });
    }
    return rowCount;
  });
}

/**
 * A failed attempt: the row stays pending and becomes due again after the
 * backoff step for its attempt count (§5). Returns rows changed.
 */
export async function markFailed(
  db: Queryable,
  ids: readonly string[],
  workerId: string,
  error: string,
  now: Date,
  options: { backoffMs?: readonly number[] } = {},
): Promise<number> {
  if (ids.length === 0) return 0;
  const schedule = assertBackoffSchedule(options.backoffMs ?? DEFAULT_BACKOFF_MS);
  const { rowCount } = await db.query(
    `UPDATE outbox
        SET claimed_by = NULL, claimed_until = NULL, last_error = $3,
            next_attempt_at = $4::timestamptz
              + ($5::integer[])[GREATEST(1, LEAST(attempts, cardinality($5::integer[])))]
                * interval '1 millisecond'
      WHERE ${HELD_BY}`,
    // Errors may quote a response body; no number is stored in clear (R11).
    [[...ids], workerId, maskPhoneNumbers(error).slice(0, 2000), now, [...schedule]],
  );
  return rowCount;
}

/**
 * A permanent refusal (e.g. `UNKNOWN_CODE`, §3): the row is never retried
 * unless an operator of the software retries it explicitly. Returns rows changed.
 */
export async function markRejected(
  db: Queryable,
  ids: readonly string[],
  workerId: string,
  code: string,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  return runInTransaction(db, async (tx) => {
    const { rows, rowCount } = await tx.query<{ id: string }>(
      `UPDATE outbox SET state = 'rejected', rejection_code = $3, rejected_at = $4,
              last_error = 'rejected: ' || $3, claimed_by = NULL, claimed_until = NULL
        WHERE ${HELD_BY} RETURNING id::text AS id`,
      [[...ids], workerId, code.slice(0, 200), now],
    );
    if (rowCount > 0) {
      await appendAuditEntry(tx, {
        kind: 'outbox.rejected',
        subject: `outbox:${rows[0]?.id}`,
        at: now,
        data: { ids: rows.map((r) => r.id), workerId, code: code.slice(0, 200) },
      });
    }
    return rowCount;
  });
}

/**
 * Gives claimed rows back without an attempt having been made (shutdown
 * between claim and send): due again at once, attempt count restored.
 */
export async function releaseClaims(
  db: Queryable,
  ids: readonly string[],
  workerId: string,
): Promise<number> {
  if (ids.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, attempts = GREATEST(attempts - 1, 0)
      WHERE ${HELD_BY}`,
    [[...ids], workerId],
  );
  return rowCount;
}
