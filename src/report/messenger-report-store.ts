import type { Queryable } from '../db/port.js';
import type {
  MessengerCounterparty,
  MessengerIdentificationMiss,
  MessengerReport,
  ReportRange,
  UserTransitionCount,
} from './report-types.js';

/**
 * The messenger's side of the compliance report, computed in SQL: what each
 * operator answered (R3, R4, R10) by the time the request was first sent,
 * the notices it delivered (R7) by occurred time, and the suspensions and
 * deauthorizations they led to (R8) in the range. Run it inside one
 * snapshot (see `buildReport`); `asOf` judges attempts still open.
 */
export async function readMessengerReport(
  db: Queryable,
  range: ReportRange,
  asOf: Date,
): Promise<MessengerReport> {
  const byOperator = new Map<string, MessengerCounterparty>();
  const counterparty = (operatorId: string): MessengerCounterparty => {
    let c = byOperator.get(operatorId);
    if (!c) {
      c = emptyCounterparty(operatorId);
      byOperator.set(operatorId, c);
    }
    return c;
  };
  const params = [range.from, range.to, asOf];

  // In time: answered at or before deadline_at (first send + 20 min). An
  // attempt closed as `missed` carries the expiry time in answered_at, which
  // is no answer: answer times are over state `answered` only.
  const { rows: attemptRows } = await db.query<{
    operator_id: string;
    sent: number;
    in_time: number;
    late: number;
    missed: number;
    open_past: number;
    percent: number | null;
    p50: number | null;
    p95: number | null;
    max: number | null;
  }>(
    `SELECT operator_id, sent, in_time, late, missed, open_past,
            round(100.0 * in_time / sent, 2)::float8 AS percent, p50, p95, max
       FROM (
         SELECT operator_id,
                count(*)::int AS sent,
                count(*) FILTER (WHERE state = 'answered' AND answered_at <= deadline_at)::int AS in_time,
                count(*) FILTER (WHERE state = 'answered' AND answered_at > deadline_at)::int AS late,
                count(*) FILTER (WHERE state = 'missed')::int AS missed,
                count(*) FILTER (WHERE state IN ('sending', 'pending') AND deadline_at <= $3)::int
                  AS open_past,
                round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs))::numeric, 3)::float8 AS p50,
                round((percentile_cont(0.95) WITHIN GROUP (ORDER BY secs))::numeric, 3)::float8 AS p95,
                round(max(secs)::numeric, 3)::float8 AS max
           FROM (SELECT operator_id, state, deadline_at, answered_at,
                        CASE WHEN state = 'answered'
                             THEN extract(epoch FROM answered_at - first_sent_at)::float8 END AS secs
                   FROM identification_attempts
                  WHERE first_sent_at >= $1 AND first_sent_at < $2) a
          GROUP BY operator_id) s
      ORDER BY operator_id`,
    params,
  );
  for (const r of attemptRows) {
    counterparty(r.operator_id).identification = {
      sent: r.sent,
      answeredInTime: r.in_time,
      answeredInTimePercent: r.percent,
      answeredLate: r.late,
      missed: r.missed,
      openPastDeadline: r.open_past,
      answerSeconds: { p50: r.p50, p95: r.p95, max: r.max },
      misses: [],
    };
  }

  const { rows: attemptMisses } = await db.query<{
    operator_id: string;
    request_id: string;
    state: string;
    first_sent_at: Date;
    deadline_at: Date;
    answered_at: Date | null;
  }>(
    `SELECT operator_id, request_id::text AS request_id, state, first_sent_at, deadline_at,
            answered_at
       FROM identification_attempts
      WHERE first_sent_at >= $1 AND first_sent_at < $2
        AND (state = 'missed'
             OR (state = 'answered' AND answered_at > deadline_at)
             OR (state IN ('sending', 'pending') AND deadline_at <= $3))
      ORDER BY operator_id, first_sent_at, request_id`,
    params,
  );
  for (const r of attemptMisses) {
    const miss: MessengerIdentificationMiss = {
      kind:
        r.state === 'missed'
          ? 'missed'
          : r.state === 'answered'
            ? 'answered_late'
            : 'open_past_deadline',
      requestId: r.request_id,
      state: r.state,
      firstSentAt: r.first_sent_at.toISOString(),
      deadlineAt: r.deadline_at.toISOString(),
      answeredAt: r.state === 'answered' ? (r.answered_at?.toISOString() ?? null) : null,
    };
    counterparty(r.operator_id).identification.misses.push(miss);
  }

  const { rows: noticeRows } = await db.query<{
    operator_id: string;
    received: number;
    in_time: number;
    late: number;
  }>(
    `SELECT operator_id,
            count(*)::int AS received,
            count(*) FILTER (WHERE received_at <= due_by)::int AS in_time,
            count(*) FILTER (WHERE received_at > due_by)::int AS late
       FROM received_notices
      WHERE occurred_at >= $1 AND occurred_at < $2
      GROUP BY operator_id ORDER BY operator_id`,
    params.slice(0, 2),
  );
  for (const r of noticeRows) {
    counterparty(r.operator_id).notices = {
      received: r.received,
      receivedInTime: r.in_time,
      receivedLate: r.late,
      misses: [],
    };
  }

  const { rows: lateNotices } = await db.query<{
    operator_id: string;
    notification_id: string;
    type: string;
    occurred_at: Date;
    due_by: Date;
    received_at: Date;
    secs: number;
  }>(
    `SELECT operator_id, notification_id::text AS notification_id, type, occurred_at, due_by,
            received_at, round(extract(epoch FROM received_at - occurred_at), 3)::float8 AS secs
       FROM received_notices
      WHERE occurred_at >= $1 AND occurred_at < $2 AND received_at > due_by
      ORDER BY operator_id, occurred_at, notification_id`,
    params.slice(0, 2),
  );
  for (const r of lateNotices) {
    counterparty(r.operator_id).notices.misses.push({
      notificationId: r.notification_id,
      type: r.type,
      occurredAt: r.occurred_at.toISOString(),
      dueBy: r.due_by.toISOString(),
      receivedAt: r.received_at.toISOString(),
      delaySeconds: r.secs,
    });
  }

  // R8: users stopped from messaging, by what stopped them.
  const { rows: transitionRows } = await db.query<{
    to_state: UserTransitionCount['toState'];
    cause: string;
    n: number;
  }>(
    `SELECT to_state, cause, count(*)::int AS n
       FROM user_transitions
      WHERE to_state IN ('suspended', 'deauthorized') AND at >= $1 AND at < $2
      GROUP BY to_state, cause ORDER BY to_state DESC, cause`,
    params.slice(0, 2),
  );
  const byCause = transitionRows.map((r) => ({ toState: r.to_state, cause: r.cause, count: r.n }));
  const total = (state: UserTransitionCount['toState']) =>
    byCause.filter((t) => t.toState === state).reduce((sum, t) => sum + t.count, 0);

  return {
    node: 'messenger',
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    asOf: asOf.toISOString(),
    counterparties: [...byOperator.values()].sort((a, b) =>
      a.operatorId < b.operatorId ? -1 : a.operatorId > b.operatorId ? 1 : 0,
    ),
    transitions: { suspended: total('suspended'), deauthorized: total('deauthorized'), byCause },
  };
}

function emptyCounterparty(operatorId: string): MessengerCounterparty {
  return {
    operatorId,
    identification: {
      sent: 0,
      answeredInTime: 0,
      answeredInTimePercent: null,
      answeredLate: 0,
      missed: 0,
      openPastDeadline: 0,
      answerSeconds: { p50: null, p95: null, max: null },
      misses: [],
    },
    notices: { received: 0, receivedInTime: 0, receivedLate: 0, misses: [] },
  };
}
