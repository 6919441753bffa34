import type { Queryable } from '../db/port.js';
import type {
  OperatorCounterparty,
  OperatorIdentificationMiss,
  OperatorNoticeMiss,
  OperatorReport,
  ReportRange,
} from './report-types.js';

/**
 * The operator's side of the compliance report, computed in SQL (set-based,
 * one statement per table and purpose): identification requests by
 * receipt time (R3, R10) and R7 notices by occurred time, per messenger.
 * Run it inside one snapshot (see `buildReport`) so figures and miss lists
 * agree. `asOf` judges what is still pending.
 */
export async function readOperatorReport(
  db: Queryable,
  range: ReportRange,
  asOf: Date,
): Promise<OperatorReport> {
  const byMessenger = new Map<string, OperatorCounterparty>();
  const counterparty = (messengerId: string): OperatorCounterparty => {
    let c = byMessenger.get(messengerId);
    if (!c) {
      c = emptyCounterparty(messengerId);
      byMessenger.set(messengerId, c);
    }
    return c;
  };
  const params = [range.from, range.to, asOf];

  // A request is in time when answered at or before answer_by (receipt +
  // 20 min, R3); the answer times are over answered requests only.
  const { rows: requestRows } = await db.query<{
    messenger_id: string;
    requests: number;
    answered_in_time: number;
    answered_late: number;
    pending_past_deadline: number;
    percent: number | null;
    p50: number | null;
    p95: number | null;
    max: number | null;
  }>(
    `SELECT messenger_id, requests, answered_in_time, answered_late, pending_past_deadline,
            round(100.0 * answered_in_time / requests, 2)::float8 AS percent, p50, p95, max
       FROM (
         SELECT messenger_id,
                count(*)::int AS requests,
                count(*) FILTER (WHERE answered_at <= answer_by)::int AS answered_in_time,
                count(*) FILTER (WHERE answered_at > answer_by)::int AS answered_late,
                count(*) FILTER (WHERE state = 'pending' AND answer_by <= $3)::int
                  AS pending_past_deadline,
                round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs))::numeric, 3)::float8 AS p50,
                round((percentile_cont(0.95) WITHIN GROUP (ORDER BY secs))::numeric, 3)::float8 AS p95,
                round(max(secs)::numeric, 3)::float8 AS max
           FROM (SELECT messenger_id, state, answer_by, answered_at,
                        extract(epoch FROM answered_at - received_at)::float8 AS secs
                   FROM identification_requests
                  WHERE received_at >= $1 AND received_at < $2) r
          GROUP BY messenger_id) s
      ORDER BY messenger_id`,
    params,
  );
  for (const r of requestRows) {
    counterparty(r.messenger_id).identification = {
      requests: r.requests,
      answeredInTime: r.answered_in_time,
      answeredInTimePercent: r.percent,
      answeredLate: r.answered_late,
      pendingPastDeadline: r.pending_past_deadline,
      answerSeconds: { p50: r.p50, p95: r.p95, max: r.max },
      misses: [],
    };
  }

  const { rows: requestMisses } = await db.query<{
    messenger_id: string;
    request_id: string;
    received_at: Date;
    answer_by: Date;
    answered_at: Date | null;
    secs: number | null;
    decided_by: string | null;
  }>(
    `SELECT messenger_id, request_id::text AS request_id, received_at, answer_by, answered_at,
            round(extract(epoch FROM answered_at - received_at), 3)::float8 AS secs, decided_by
       FROM identification_requests
      WHERE received_at >= $1 AND received_at < $2
        AND (answered_at > answer_by OR (state = 'pending' AND answer_by <= $3))
      ORDER BY messenger_id, received_at, request_id`,
    params,
  );
  for (const r of requestMisses) {
    const miss: OperatorIdentificationMiss = {
      kind: r.answered_at ? 'answered_late' : 'pending_past_deadline',
      requestId: r.request_id,
      receivedAt: r.received_at.toISOString(),
      answerBy: r.answer_by.toISOString(),
      answeredAt: r.answered_at?.toISOString() ?? null,
      answerSeconds: r.secs,
      decidedBy: r.decided_by,
    };
    counterparty(r.messenger_id).identification.misses.push(miss);
  }

  // R7 notices are outbox rows of kind `notice`; the range and the 24-hour
  // clock run from the event the notice reports (payload occurredAt).
  const notices = `SELECT id::text AS outbox_id, partner_id, state, due_by, delivered_at, attempts,
         payload->>'notificationId' AS notification_id, payload->>'type' AS type,
         COALESCE((payload->>'occurredAt')::timestamptz, created_at) AS occurred_at
    FROM outbox WHERE kind = 'notice'`;
  const { rows: noticeRows } = await db.query<{
    partner_id: string;
    written: number;
    in_time: number;
    late: number;
    past_due: number;
    rejected: number;
    awaiting: number;
  }>(
    `SELECT partner_id,
            count(*)::int AS written,
            count(*) FILTER (WHERE state = 'delivered' AND delivered_at <= due_by)::int AS in_time,
            count(*) FILTER (WHERE state = 'delivered' AND delivered_at > due_by)::int AS late,
            count(*) FILTER (WHERE state = 'pending' AND due_by <= $3)::int AS past_due,
            count(*) FILTER (WHERE state = 'rejected')::int AS rejected,
            count(*) FILTER (WHERE state = 'pending' AND due_by > $3)::int AS awaiting
       FROM (${notices}) n
      WHERE occurred_at >= $1 AND occurred_at < $2
      GROUP BY partner_id ORDER BY partner_id`,
    params,
  );
  for (const r of noticeRows) {
    counterparty(r.partner_id).notices = {
      written: r.written,
      acknowledgedInTime: r.in_time,
      acknowledgedLate: r.late,
      unacknowledgedPastDue: r.past_due,
      rejected: r.rejected,
      awaiting: r.awaiting,
      misses: [],
    };
  }

  const { rows: noticeMisses } = await db.query<{
    partner_id: string;
    outbox_id: string;
    notification_id: string | null;
    type: string | null;
    occurred_at: Date;
    due_by: Date;
    delivered_at: Date | null;
    attempts: number;
  }>(
    `SELECT partner_id, outbox_id, notification_id, type, occurred_at, due_by, delivered_at, attempts
       FROM (${notices}) n
      WHERE occurred_at >= $1 AND occurred_at < $2
        AND ((state = 'delivered' AND delivered_at > due_by) OR (state = 'pending' AND due_by <= $3))
      ORDER BY partner_id, occurred_at, outbox_id`,
    params,
  );
  for (const r of noticeMisses) {
    const miss: OperatorNoticeMiss = {
      kind: r.delivered_at ? 'acknowledged_late' : 'unacknowledged_past_due',
      outboxId: r.outbox_id,
      notificationId: r.notification_id ?? '',
      type: r.type ?? '',
      occurredAt: r.occurred_at.toISOString(),
      dueBy: r.due_by.toISOString(),
      acknowledgedAt: r.delivered_at?.toISOString() ?? null,
      attempts: r.attempts,
    };
    counterparty(r.partner_id).notices.misses.push(miss);
  }

  return {
    node: 'operator',
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    asOf: asOf.toISOString(),
    counterparties: [...byMessenger.values()].sort((a, b) =>
      a.messengerId < b.messengerId ? -1 : a.messengerId > b.messengerId ? 1 : 0,
    ),
  };
}

function emptyCounterparty(messengerId: string): OperatorCounterparty {
  return {
    messengerId,
    identification: {
      requests: 0,
      answeredInTime: 0,
      answeredInTimePercent: null,
      answeredLate: 0,
      pendingPastDeadline: 0,
      answerSeconds: { p50: null, p95: null, max: null },
      misses: [],
    },
    notices: {
      written: 0,
      acknowledgedInTime: 0,
      acknowledgedLate: 0,
      unacknowledgedPastDue: 0,
      rejected: 0,
      awaiting: 0,
      misses: [],
    },
  };
}
