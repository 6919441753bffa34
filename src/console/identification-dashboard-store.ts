import { ANSWER_WINDOW_SECONDS } from '../core/deadlines.js';
import type { Queryable } from '../db/port.js';

/**
 * Read-only views of an operator's `identification_requests` for the console.
 * The number is never read here: the table holds only its keyed
 * hash (R11). Plain SELECTs, safe to run beside live traffic.
 */

/** Upper bounds (seconds) of the answer-time buckets; the last is R3's 20 minutes. */
export const ANSWER_TIME_BOUNDS_S = [1, 10, 60, 300, 600, ANSWER_WINDOW_SECONDS] as const;

export interface TimeBucket {
  /** Start of the bucket, ms since the epoch. */
  at: number;
  confirmed: number;
  notConfirmed: number;
}

/** Answers per time bucket since `since` (R3: how the operator is answering over time). */
export async function answersOverTime(
  db: Queryable,
  input: { since: Date; bucketMs: number },
): Promise<TimeBucket[]> {
  const { rows } = await db.query<{ at: string; confirmed: string; not_confirmed: string }>(
    `SELECT (floor(extract(epoch FROM answered_at) * 1000 / $2::numeric) * $2::numeric)::float8 AS at,
            count(*) FILTER (WHERE state = 'confirmed') AS confirmed,
            count(*) FILTER (WHERE state = 'not_confirmed') AS not_confirmed
       FROM identification_requests
      WHERE answered_at >= $1
      GROUP BY 1 ORDER BY 1`,
    [input.since, input.bucketMs],
  );
  return rows.map((r) => ({
    at: Number(r.at),
    confirmed: Number(r.confirmed),
    notConfirmed: Number(r.not_confirmed),
  }));
}

/**
 * How long answers took, counted per bucket of ANSWER_TIME_BOUNDS_S (index i
 * = under bound i; the extra last bucket = over 20 minutes, an R3 miss).
 */
export async function answerTimeDistribution(db: Queryable, since: Date): Promise<number[]> {
  const { rows } = await db.query<{ bucket: number; n: string }>(
    `SELECT width_bucket(extract(epoch FROM answered_at - received_at)::float8, $2::float8[]) AS bucket,
            count(*) AS n
       FROM identification_requests
      WHERE answered_at IS NOT NULL AND received_at >= $1
      GROUP BY 1`,
    [since, [0, ...ANSWER_TIME_BOUNDS_S]],
  );
  const counts = new Array<number>(ANSWER_TIME_BOUNDS_S.length + 1).fill(0);
  for (const r of rows) {
    // width_bucket: 1 = [0, 1s), …, length+1 = beyond the last bound.
    const i = Math.min(Math.max(Number(r.bucket) - 1, 0), counts.length - 1);
    counts[i] = (counts[i] ?? 0) + Number(r.n);
  }
  return counts;
}

export interface RequestLine {
  messengerId: string;
  requestId: string;
  code: string;
  purpose: string;
  state: string;
  reason: string | null;
  decidedBy: string | null;
  receivedAt: Date;
  answerBy: Date;
  answeredAt: Date | null;
}

const REQUEST_COLUMNS = `messenger_id, request_id::text AS request_id, code, purpose, state, reason,
  decided_by, received_at, answer_by, answered_at`;

interface RequestRow {
  messenger_id: string;
  request_id: string;
  code: string;
  purpose: string;
  state: string;
  reason: string | null;
  decided_by: string | null;
  received_at: Date;
  answer_by: Date;
  answered_at: Date | null;
}

function toRequestLine(r: RequestRow): RequestLine {
  return {
    messengerId: r.messenger_id,
    requestId: r.request_id,
    code: r.code,
    purpose: r.purpose,
    state: r.state,
    reason: r.reason,
    decidedBy: r.decided_by,
    receivedAt: r.received_at,
    answerBy: r.answer_by,
    answeredAt: r.answered_at,
  };
}

/** The newest requests first. */
export async function recentRequests(db: Queryable, limit: number): Promise<RequestLine[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM identification_requests ORDER BY received_at DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toRequestLine);
}

/**
 * R3/R10 misses: answered after the 20-minute line, answered by the sweeper,
 * or still pending past it at `now`.
 */
export async function requestDeadlineMisses(
  db: Queryable,
  input: { now: Date; limit: number },
): Promise<RequestLine[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM identification_requests
      WHERE answered_at > answer_by OR decided_by = 'sweeper'
         OR (state = 'pending' AND answer_by < $1)
      ORDER BY received_at DESC LIMIT $2`,
    [input.now, input.limit],
  );
  return rows.map(toRequestLine);
}

/** Requests carrying this identification code (current or previous). */
export async function requestsByCode(db: Queryable, code: string): Promise<RequestLine[]> {
  const { rows } = await db.query<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM identification_requests
      WHERE code = $1 OR previous_code = $1 ORDER BY received_at DESC LIMIT 50`,
    [code],
  );
  return rows.map(toRequestLine);
}
