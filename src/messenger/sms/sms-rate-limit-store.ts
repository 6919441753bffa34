import type { Queryable } from '../../db/port.js';

/**
 * Counters behind the SMS limits, kept in the database so that every
 * instance of the messenger node enforces the same limits (R2).
 *
 * Concurrency: each function is one statement. `claimSendSlot` and
 * `takeWindowSlot` are upserts whose UPDATE applies only while under the
 * limit; PostgreSQL takes the row lock before evaluating that condition, so
 * of any number of racing callers exactly as many succeed as there are slots
 * left. Run them inside the caller's transaction: a later refusal then rolls
 * the earlier increments back, and rows are always locked in the order
 * number → caller, so two transactions never wait on each other in a cycle.
 */

export type RateScope = 'number_sends' | 'number_registrations' | 'caller_sends';

export type SlotResult = { ok: true } | { ok: false; retryAt: Date };

/**
 * Records a send to the number if the last one was at least `intervalSeconds`
 * ago. Locks the number's throttle row until the transaction ends, which
 * serializes all issues for one number.
 */
export async function claimSendSlot(
  tx: Queryable,
  msisdnHash: string,
  now: Date,
  intervalSeconds: number,
): Promise<SlotResult> {
  const earliest = new Date(now.getTime() - intervalSeconds * 1000);
  const { rowCount } = await tx.query(
    `INSERT INTO sms_number_throttle (msisdn_hash, last_sent_at) VALUES ($1, $2)
     ON CONFLICT (msisdn_hash) DO UPDATE SET last_sent_at = EXCLUDED.last_sent_at
     WHERE sms_number_throttle.last_sent_at <= $3
     RETURNING 1`,
    [msisdnHash, now, earliest],
  );
  if (rowCount > 0) return { ok: true };
  // Refused: the row exists and is locked by the upsert above; read it only
  // to tell the caller when to come back.
  const { rows } = await tx.query<{ last_sent_at: Date | string }>(
    'SELECT last_sent_at FROM sms_number_throttle WHERE msisdn_hash = $1',
    [msisdnHash],
  );
  const last = rows[0] ? new Date(rows[0].last_sent_at).getTime() : now.getTime();
  return { ok: false, retryAt: new Date(last + intervalSeconds * 1000) };
}

/** Undoes a send slot taken at `sentAt` (the SMS could not be sent), unless a later send took over. */
export async function releaseSendSlot(
  db: Queryable,
  msisdnHash: string,
  sentAt: Date,
): Promise<void> {
  await db.query('DELETE FROM sms_number_throttle WHERE msisdn_hash = $1 AND last_sent_at = $2', [
    msisdnHash,
    sentAt,
  ]);
}

/**
 * Takes one slot of a fixed window (aligned to the epoch) if fewer than `max`
 * are taken. Fixed windows let up to 2×max through around a window edge;
 * the resend interval bounds the per-number burst, and the per-caller limit
 * is a guard against SMS pumping, where that slack does not matter.
 */
export async function takeWindowSlot(
  tx: Queryable,
  limit: { scope: RateScope; subject: string; max: number; windowSeconds: number },
  now: Date,
): Promise<SlotResult> {
  const windowMs = limit.windowSeconds * 1000;
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  const end = new Date(start + windowMs);
  const { rowCount } = await tx.query(
    `INSERT INTO sms_rate_counters (scope, subject, window_start, window_end, hits)
     VALUES ($1, $2, $3, $4, 1)
     ON CONFLICT (scope, subject, window_start)
       DO UPDATE SET hits = sms_rate_counters.hits + 1
       WHERE sms_rate_counters.hits < $5
     RETURNING hits`,
    [limit.scope, limit.subject, new Date(start), end, limit.max],
  );
  return rowCount > 0 ? { ok: true } : { ok: false, retryAt: end };
}

/** R11: forgets counters whose window has closed and throttles older than `olderThan`. */
export async function purgeRateState(
  db: Queryable,
  now: Date,
  throttleOlderThan: Date,
): Promise<number> {
  const counters = await db.query('DELETE FROM sms_rate_counters WHERE window_end <= $1', [now]);
  const throttles = await db.query('DELETE FROM sms_number_throttle WHERE last_sent_at < $1', [
    throttleOlderThan,
  ]);
  return counters.rowCount + throttles.rowCount;
}
