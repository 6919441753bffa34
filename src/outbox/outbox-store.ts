import { appendAuditEntry } from '../audit/append-audit-entry.js';
import { runInTransaction } from '../audit/run-in-transaction.js';
import type { IdGenerator } from '../core/ids.js';
import { maskPhoneNumbers } from '../core/mask-phone-numbers.js';
import type { Queryable } from '../db/port.js';
import { assertBackoffSchedule, DEFAULT_BACKOFF_MS } from './backoff-schedule.js';
import type { ClaimedBatch, ClaimHold, NewOutboxItem } from './outbox-types.js';

/**
 * The delivery lifecycle of outbox rows: enqueue, claim, complete.
 *
 * Concurrency: any number of workers in any number of processes may call
 * these at once. A claim locks rows with `FOR UPDATE SKIP LOCKED` and either
 * leases them in the same statement (`claimDueBatch`) or keeps them locked
 * in the caller's open transaction (`claimDueBatchHeld`), so no row is
 * handed to two workers at a time. Lease completions are guarded by
 * `claimed_by`: once another worker has taken over an expired lease, the old
 * worker's late completion changes nothing. A worker whose lease expired
 * without a takeover may still complete (the delivery did happen; receivers
 * deduplicate by id, §5).
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
      `INSERT INTO outbox (id, kind, partner_id, dedupe_key, payload, created_at, due_by, event_at,
                           next_attempt_at)
       SELECT u.id::uuid, u.kind, u.partner_id, u.dedupe_key, u.payload::jsonb, $8::timestamptz,
              u.due_by::timestamptz, u.event_at::timestamptz, u.not_before::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $9::text[])
              AS u(id, kind, partner_id, dedupe_key, payload, due_by, not_before, event_at)
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
        chunk.map((i) => i.eventAt?.toISOString() ?? null),
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
  /**
   * Partners to take only when no other partner has anything due (this
   * worker is already sending to them): spreads slots over partners without
   * a second claim.
   */
  avoidPartners?: readonly string[];
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
  was_due_at: Date;
}

/**
 * Chooses the (partner, kind) group to claim from, as the CTE `head`: the
 * one whose oldest due row not locked by anyone else is oldest, partners to
 * avoid last. Parameters: $1 now, $2 kinds, $3 partners to skip, $4 partners
 * to avoid. Every probe orders by the full key of outbox_pending_partner so
 * the planner walks that index within the group whatever the statistics
 * say. The probe locks each group's head row it looks at.
 */
const CHOOSE_GROUP = `WITH RECURSIVE grp AS (
       (SELECT o.partner_id, o.kind FROM outbox o WHERE o.state = 'pending'
         ORDER BY o.partner_id, o.kind LIMIT 1)
       UNION ALL
       SELECT nxt.partner_id, nxt.kind FROM grp, LATERAL (
         SELECT o.partner_id, o.kind FROM outbox o
          WHERE o.state = 'pending' AND (o.partner_id, o.kind) > (grp.partner_id, grp.kind)
          ORDER BY o.partner_id, o.kind LIMIT 1) nxt
     ), head AS (
       SELECT g.partner_id, g.kind FROM grp g, LATERAL (
         SELECT o.next_attempt_at, o.id FROM outbox o
          WHERE o.partner_id = g.partner_id AND o.kind = g.kind AND o.state = 'pending'
            AND o.next_attempt_at <= $1 AND (o.claimed_until IS NULL OR o.claimed_until <= $1)
          ORDER BY o.partner_id, o.kind, o.next_attempt_at, o.id
          LIMIT 1
          FOR UPDATE OF o SKIP LOCKED) h
        WHERE ($2::text[] IS NULL OR g.kind = ANY($2::text[])) AND g.partner_id <> ALL($3::text[])
        ORDER BY g.partner_id = ANY($4::text[]), h.next_attempt_at, h.id
        LIMIT 1
     )`;

/**
 * Up to `max` due rows of one group, oldest first, locked `FOR UPDATE SKIP
 * LOCKED`, with the columns a batch hands out as they were before the claim.
 * The arguments are SQL expressions (parameter or column references).
 */
const dueRowsOf = (partner: string, kind: string, now: string, max: string): string => `
         SELECT o.id, o.next_attempt_at, o.kind, o.partner_id, o.dedupe_key, o.payload,
                o.attempts, o.created_at, o.due_by
           FROM outbox o
          WHERE o.partner_id = ${partner} AND o.kind = ${kind} AND o.state = 'pending'
            AND o.next_attempt_at <= ${now} AND (o.claimed_until IS NULL OR o.claimed_until <= ${now})
          ORDER BY o.partner_id, o.kind, o.next_attempt_at, o.id
          LIMIT ${max}
          FOR UPDATE OF o SKIP LOCKED`;

const chooseParams = (options: ClaimOptions): unknown[] => [
  options.now,
  options.kinds ? [...options.kinds] : null,
  [...(options.skipPartners ?? [])],
  [...(options.avoidPartners ?? [])],
];

/** Either claim's rows as a batch; the delivery must be over at the lease end. */
function toClaimedBatch(
  rows: ClaimedDbRow[],
  hold: ClaimHold,
  options: ClaimOptions,
): ClaimedBatch | null {
  const first = rows[0];
  if (!first) return null;
  rows.sort((a, b) => a.was_due_at.getTime() - b.was_due_at.getTime() || (a.id < b.id ? -1 : 1));
  return {
    kind: first.kind,
    partnerId: first.partner_id,
    claimedUntil: new Date(options.now.getTime() + Math.round(options.leaseMs)),
    hold,
    items: rows.map((r) => ({
      id: r.id,
      dedupeKey: r.dedupe_key,
      payload: r.payload,
      attempts: Number(r.attempts),
      createdAt: r.created_at,
      dueBy: r.due_by,
      dueAt: r.was_due_at,
    })),
  };
}

/**
 * Leases up to `maxItems` due rows of ONE partner and kind, or returns null
 * when nothing is due. The group is the one whose oldest due row (not locked
 * by anyone else) is oldest, partners in `avoidPartners` last. Due means
 * pending, `next_attempt_at <= now` and no live lease. Counts an attempt on
 * each row.
 *
 * A claim moves `next_attempt_at` to the end of the lease: leased rows leave
 * the due range of the index, so the next claim does not walk past them, and
 * a dead worker's rows come due again exactly when its lease ends.
 *
 * Cost: one index probe per (partner, kind) group, found by a skip scan of
 * `outbox_pending_partner` (groups are few: the partners of one node), then
 * one range scan of the chosen group. It never walks other partners' rows,
 * so excluding or avoiding every busy partner stays cheap at millions of
 * pending rows (a claim that ordered the whole backlog by due time and
 * filtered partners read all of it when every partner was busy).
 */
export async function claimDueBatch(
  db: Queryable,
  options: ClaimOptions,
): Promise<ClaimedBatch | null> {
  const { rows } = await db.query<ClaimedDbRow>(
    `${CHOOSE_GROUP}, batch AS (
       SELECT b.* FROM head, LATERAL (${dueRowsOf('head.partner_id', 'head.kind', '$1', '$5')}) b
     )
     UPDATE outbox
        SET claimed_by = $6, claimed_until = $1::timestamptz + $7::integer * interval '1 millisecond',
            next_attempt_at = $1::timestamptz + $7::integer * interval '1 millisecond',
            attempts = outbox.attempts + 1, last_attempt_at = $1
       FROM batch
      WHERE outbox.id = batch.id
     RETURNING outbox.id::text AS id, outbox.kind, outbox.partner_id, outbox.dedupe_key,
               outbox.payload, outbox.attempts, outbox.created_at, outbox.due_by,
               batch.next_attempt_at AS was_due_at`,
    [
      ...chooseParams(options),
      options.maxItems ?? 1000,
      options.workerId,
      Math.round(options.leaseMs),
    ],
  );
  return toClaimedBatch(rows, options.workerId, options);
}

/**
 * The same choice of rows as `claimDueBatch`, held by the row locks of the
 * caller's open transaction (`tx`, from Database.openHeldTransaction) instead
 * of a lease: no new row version is written (only the locks) until the
 * outcome is recorded in that same transaction, which then commits. Other
 * claims skip locked rows, so no row is handed to two workers; if the
 * worker dies its connection closes and PostgreSQL rolls back at once, and
 * a hung worker's transaction is ended by the server's idle timeout.
 *
 * Why: a lease is a row update (a new row version and an entry in every
 * index of the outbox), and the completion is another. Holding the claim in
 * the transaction leaves one update per row: in a scratch comparison of
 * 150,000 notice rows with 8 workers, PostgreSQL's CPU per row fell from
 * about 62 to 32 µs.
 *
 * The group is chosen inside a savepoint that is then rolled back, which
 * releases the head rows its probe locked: held to the end of the
 * transaction, the head rows of groups not chosen would be skipped by every
 * other claim for as long as deliveries overlap, and delivered last. If
 * other workers take the chosen group's due rows in between, it looks again
 * (a few times at most).
 *
 * The attempt is counted when the outcome is recorded (the completions add
 * it for a transaction hold), so `attempts` in the batch already includes it.
 */
export async function claimDueBatchHeld(
  tx: Queryable,
  options: ClaimOptions,
): Promise<ClaimedBatch | null> {
  for (let look = 0; look < 3; look++) {
    await tx.exec('SAVEPOINT outbox_choose');
    const { rows: heads } = await tx.query<{ partner_id: string; kind: string }>(
      `${CHOOSE_GROUP} SELECT partner_id, kind FROM head`,
      chooseParams(options),
    );
    // Released too: the rows claimed next are then locked by the transaction
    // itself, not a subtransaction (outboxStatus finds held rows by it).
    await tx.exec('ROLLBACK TO SAVEPOINT outbox_choose; RELEASE SAVEPOINT outbox_choose');
    const head = heads[0];
    if (!head) return null;
    const { rows } = await tx.query<ClaimedDbRow>(
      `SELECT b.id::text AS id, b.kind, b.partner_id, b.dedupe_key, b.payload,
              b.attempts + 1 AS attempts, b.created_at, b.due_by, b.next_attempt_at AS was_due_at
         FROM (${dueRowsOf('$3', '$4', '$1', '$2')}) b`,
      [options.now, options.maxItems ?? 1000, head.partner_id, head.kind],
    );
    if (rows.length > 0) {
      const hold = { workerId: options.workerId, heldSince: options.now };
      return toClaimedBatch(rows, hold, options);
    }
  }
  return null;
}

/**
 * Completions take the batch's hold. A lease (the worker id): only rows that
 * worker still holds change. A transaction hold: the caller's transaction
 * holds the rows' locks (any stale lease on them had expired, so it is
 * cleared), and the attempt is counted now, stamped with the claim time.
 * Parameters: $1 ids, $2 the lease holder or null, $3 attempts to add, $4
 * the attempt time for a transaction hold.
 */
const HELD_BY = `id = ANY($1::uuid[]) AND state = 'pending' AND ($2::text IS NULL OR claimed_by = $2)`;
const COUNT_ATTEMPT = `attempts = attempts + $3::integer,
            last_attempt_at = COALESCE($4::timestamptz, last_attempt_at)`;

function holdParams(hold: ClaimHold): [string | null, number, Date | null] {
  return typeof hold === 'string' ? [hold, 0, null] : [null, 1, hold.heldSince];
}

const holderId = (hold: ClaimHold): string => (typeof hold === 'string' ? hold : hold.workerId);

/** Acknowledged by the receiver: kept as history, never retried. Returns rows changed. */
export async function markDelivered(
  db: Queryable,
  ids: readonly string[],
  hold: ClaimHold,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  return runInTransaction(db, async (tx) => {
    const { rows, rowCount } = await tx.query<{ id: string }>(
      `UPDATE outbox SET state = 'delivered', delivered_at = $5, claimed_by = NULL, claimed_until = NULL,
            ${COUNT_ATTEMPT}
        WHERE ${HELD_BY} RETURNING id::text AS id`,
      [[...ids], ...holdParams(hold), now],
    );
    // One audit entry per completion call, with the ids it completed.
    if (rowCount > 0) {
      await appendAuditEntry(tx, {
        kind: 'outbox.delivered',
        subject: `outbox:${rows[0]?.id}`,
        at: now,
        data: { ids: rows.map((r) => r.id), workerId: holderId(hold) },
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
  hold: ClaimHold,
  error: string,
  now: Date,
  options: { backoffMs?: readonly number[] } = {},
): Promise<number> {
  return recordFailedAttempt(db, HELD_BY, { ids, hold, error, now, ...options });
}

/**
 * A transaction hold whose transaction ended without its outcome (a
 * database error while recording it, a failed commit, the server's idle
 * timeout): the delivery was attempted, so the attempt is counted and the
 * rows wait their backoff step, as `markFailed` would have done, written
 * outside the lost transaction (call it after the rollback). Without this
 * the rows would be due again at once and re-sent on every pass. Rows that
 * another worker holds, has leased or has completed since are left alone.
 * Returns rows changed.
 */
export async function markHeldAttemptLost(
  db: Queryable,
  ids: readonly string[],
  hold: Exclude<ClaimHold, string>,
  error: string,
  now: Date,
  options: { backoffMs?: readonly number[] } = {},
): Promise<number> {
  // $2, the lease holder, is null for a transaction hold.
  const notHeldByOthers = `id IN (SELECT o.id FROM outbox o
                    WHERE o.id = ANY($1::uuid[]) AND o.state = 'pending' AND $2::text IS NULL
                      AND (o.claimed_until IS NULL OR o.claimed_until <= $6)
                      FOR UPDATE SKIP LOCKED)`;
  return recordFailedAttempt(db, notHeldByOthers, { ids, hold, error, now, ...options });
}

/**
 * The attempt counted, the error kept and the next attempt moved to the
 * backoff step for the attempt count, on the rows `where` selects
 * (parameters as HELD_BY, then $5 error, $6 now, $7 schedule).
 */
async function recordFailedAttempt(
  db: Queryable,
  where: string,
  attempt: {
    ids: readonly string[];
    hold: ClaimHold;
    error: string;
    now: Date;
    backoffMs?: readonly number[];
  },
): Promise<number> {
  if (attempt.ids.length === 0) return 0;
  const schedule = assertBackoffSchedule(attempt.backoffMs ?? DEFAULT_BACKOFF_MS);
  const { rowCount } = await db.query(
    `UPDATE outbox
        SET claimed_by = NULL, claimed_until = NULL, last_error = $5, ${COUNT_ATTEMPT},
            next_attempt_at = $6::timestamptz
              + ($7::integer[])[GREATEST(1, LEAST(attempts + $3::integer, cardinality($7::integer[])))]
                * interval '1 millisecond'
      WHERE ${where}`,
    [
      [...attempt.ids],
      ...holdParams(attempt.hold),
      // Errors may quote a response body; no number is stored in clear (R11).
      maskPhoneNumbers(attempt.error).slice(0, 2000),
      attempt.now,
      [...schedule],
    ],
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
  hold: ClaimHold,
  code: string,
  now: Date,
): Promise<number> {
  if (ids.length === 0) return 0;
  return runInTransaction(db, async (tx) => {
    const { rows, rowCount } = await tx.query<{ id: string }>(
      `UPDATE outbox SET state = 'rejected', rejection_code = $5, rejected_at = $6,
              last_error = 'rejected: ' || $5, claimed_by = NULL, claimed_until = NULL,
              ${COUNT_ATTEMPT}
        WHERE ${HELD_BY} RETURNING id::text AS id`,
      [[...ids], ...holdParams(hold), code.slice(0, 200), now],
    );
    if (rowCount > 0) {
      await appendAuditEntry(tx, {
        kind: 'outbox.rejected',
        subject: `outbox:${rows[0]?.id}`,
        at: now,
        data: { ids: rows.map((r) => r.id), workerId: holderId(hold), code: code.slice(0, 200) },
      });
    }
    return rowCount;
  });
}

/**
 * Gives claimed rows back without an attempt having been made (shutdown
 * between claim and send): due again when they were due before the claim,
 * so they keep their place in line; attempt count restored.
 */
export async function releaseClaims(
  db: Queryable,
  items: ReadonlyArray<{ id: string; dueAt: Date }>,
  workerId: string,
): Promise<number> {
  if (items.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = r.due_at,
            attempts = GREATEST(attempts - 1, 0)
       FROM unnest($1::uuid[], $3::timestamptz[]) AS r(id, due_at)
      WHERE outbox.id = r.id AND outbox.claimed_by = $2 AND outbox.state = 'pending'`,
    [items.map((i) => i.id), workerId, items.map((i) => i.dueAt)],
  );
  return rowCount;
}
