import { NOTICE_DEADLINE_SECONDS } from '../core/deadlines.js';
import type { Queryable } from '../db/port.js';

/**
 * Read-only views of an operator's R7 notices: outbox rows of kind `notice`,
 * with the event's time (`event_at`) and its deadline (`due_by`). Delay is
 * measured from the event to the messenger's acknowledgement (delivered_at).
 */

/** Upper bounds (seconds) of the delay buckets; the last is R7's deadline. */
export const NOTICE_DELAY_BOUNDS_S = [60, 600, 3600, 6 * 3600, NOTICE_DEADLINE_SECONDS] as const;

export interface NoticeBacklog {
  pending: number;
  failing: number;
  /** Pending notices already past their 24-hour deadline (R7 misses in progress). */
  overdue: number;
  /** Age of the oldest pending notice's event, ms; null when none is pending. */
  oldestPendingAgeMs: number | null;
  delivered: number;
  rejected: number;
}

export async function noticeBacklog(db: Queryable, now: Date): Promise<NoticeBacklog> {
  const { rows } = await db.query<{
    pending: string;
    failing: string;
    overdue: string;
    oldest_event_at: Date | null;
    delivered: string;
    rejected: string;
  }>(
    `SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
            count(*) FILTER (WHERE state = 'pending' AND last_error IS NOT NULL) AS failing,
            count(*) FILTER (WHERE state = 'pending' AND due_by < $1) AS overdue,
            min(event_at) FILTER (WHERE state = 'pending') AS oldest_event_at,
            count(*) FILTER (WHERE state = 'delivered') AS delivered,
            count(*) FILTER (WHERE state = 'rejected') AS rejected
       FROM outbox WHERE kind = 'notice'`,
    [now],
  );
  const r = rows[0];
  return {
    pending: Number(r?.pending ?? 0),
    failing: Number(r?.failing ?? 0),
    overdue: Number(r?.overdue ?? 0),
    oldestPendingAgeMs: r?.oldest_event_at ? now.getTime() - r.oldest_event_at.getTime() : null,
    delivered: Number(r?.delivered ?? 0),
    rejected: Number(r?.rejected ?? 0),
  };
}

/** Delivered notices per delay bucket (index i = under bound i; last = over 24 h). */
export async function noticeDelayDistribution(db: Queryable): Promise<number[]> {
  const { rows } = await db.query<{ bucket: number; n: string }>(
    `SELECT width_bucket(extract(epoch FROM delivered_at - event_at)::float8,
                         $1::float8[]) AS bucket,
            count(*) AS n
       FROM outbox
      WHERE kind = 'notice' AND state = 'delivered' AND event_at IS NOT NULL
      GROUP BY 1`,
    [[0, ...NOTICE_DELAY_BOUNDS_S]],
  );
  const counts = new Array<number>(NOTICE_DELAY_BOUNDS_S.length + 1).fill(0);
  for (const r of rows) {
    const i = Math.min(Math.max(Number(r.bucket) - 1, 0), counts.length - 1);
    counts[i] = (counts[i] ?? 0) + Number(r.n);
  }
  return counts;
}

export interface NoticeLine {
  id: string;
  messengerId: string;
  type: string;
  code: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  dueBy: Date | null;
  deliveredAt: Date | null;
}

interface NoticeRow {
  id: string;
  partner_id: string;
  type: string | null;
  code: string | null;
  state: string;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  due_by: Date | null;
  delivered_at: Date | null;
}

const NOTICE_COLUMNS = `id::text AS id, partner_id, payload->>'type' AS type,
  payload->>'identificationCode' AS code, state, attempts, last_error, created_at, due_by, delivered_at`;

function toNoticeLine(r: NoticeRow): NoticeLine {
  return {
    id: r.id,
    messengerId: r.partner_id,
    type: r.type ?? '',
    code: r.code ?? '',
    state: r.state,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    createdAt: r.created_at,
    dueBy: r.due_by,
    deliveredAt: r.delivered_at,
  };
}

export async function recentNotices(db: Queryable, limit: number): Promise<NoticeLine[]> {
  const { rows } = await db.query<NoticeRow>(
    `SELECT ${NOTICE_COLUMNS} FROM outbox WHERE kind = 'notice'
      ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toNoticeLine);
}

/** R7 misses: delivered after the 24-hour line, or still undelivered past it. */
export async function noticeDeadlineMisses(
  db: Queryable,
  input: { now: Date; limit: number },
): Promise<NoticeLine[]> {
  const { rows } = await db.query<NoticeRow>(
    `SELECT ${NOTICE_COLUMNS} FROM outbox
      WHERE kind = 'notice' AND due_by IS NOT NULL
        AND (delivered_at > due_by OR (state <> 'delivered' AND due_by < $1))
      ORDER BY due_by DESC LIMIT $2`,
    [input.now, input.limit],
  );
  return rows.map(toNoticeLine);
}

export async function noticesByCode(db: Queryable, code: string): Promise<NoticeLine[]> {
  const { rows } = await db.query<NoticeRow>(
    `SELECT ${NOTICE_COLUMNS} FROM outbox
      WHERE kind = 'notice' AND payload->>'identificationCode' = $1
      ORDER BY created_at DESC LIMIT 50`,
    [code],
  );
  return rows.map(toNoticeLine);
}
