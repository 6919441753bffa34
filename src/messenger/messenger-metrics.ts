import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import {
  ANSWER_TIME_BUCKETS,
  ANSWER_WINDOW_MS,
  ANSWER_WINDOW_SECONDS,
  describeDeadline,
  NOTICE_DEADLINE_MS,
  NOTICE_DEADLINE_SECONDS,
  NOTICE_DELAY_BUCKETS,
} from '../core/deadlines.js';
import type { Queryable } from '../db/port.js';

/**
 * The messenger's compliance facts as Prometheus metrics (R3, R4, R7, R10,
 * R12), as this process saw them after commit; `idbridge report` gives the
 * same facts for any range from the database. Labels carry operator ids only.
 */
export interface MessengerMetrics {
  /** First send to the operator's answer; the 20-minute line is 1200 s (R3). */
  answerSeconds: Histogram<'operator'>;
  /** late: answered after 20 minutes; missed: closed unanswered at 20 minutes (R4, R10). */
  deadlineMisses: Counter<'operator' | 'kind'>;
  /** The event a notice reports to its receipt; the line is NOTICE_DEADLINE_SECONDS (R7). */
  noticeDelaySeconds: Histogram<'operator'>;
  /** Notices received after their `dueBy` (R7, R12). */
  noticesLate: Counter<'operator'>;
  /** Each send of an identification request: answered, refused (4xx, decided) or failed (retried), by cause. */
  identificationRequests: Counter<'operator' | 'result' | 'cause'>;
  /** Sends that repeat an earlier failed one. */
  identificationRetries: Counter<'operator'>;
  /** Users whose identification waits on an operator now (read from the database at scrape). */
  usersWaiting: Gauge<'operator'> /** SMS codes handed to the SMS sender: sent, or failed (the user may ask again at once). */;
  smsSends: Counter<'outcome'>;
}

export function createMessengerMetrics(
  registry: Registry,
  source?: { db: Queryable },
): MessengerMetrics {
  const registers = [registry];
  return {
    identificationRequests: new Counter({
      name: 'idbridge_messenger_identification_requests_total',
      help: 'Identification requests sent to operators: result answered | refused | failed (retried), cause none | http_NNN | signature | unreachable | bad_response | other',
      labelNames: ['operator', 'result', 'cause'],
      registers,
    }),
    identificationRetries: new Counter({
      name: 'idbridge_messenger_identification_retries_total',
      help: 'Identification requests sent again after a failed send',
      labelNames: ['operator'],
      registers,
    }),
    smsSends: new Counter({
      name: 'idbridge_messenger_sms_sends_total',
      help: 'SMS codes handed to the SMS sender, by outcome: sent | failed',
      labelNames: ['outcome'],
      registers,
    }),
    usersWaiting: new Gauge({
      name: 'idbridge_messenger_users_waiting',
      help: 'Users whose identification waits on the operator (an attempt sending or pending; R3)',
      labelNames: ['operator'],
      registers,
      async collect() {
        if (!source) return;
        const { rows } = await source.db.query<{ operator_id: string; n: number }>(
          `SELECT operator_id, count(DISTINCT user_id)::int AS n FROM identification_attempts
            WHERE state IN ('sending', 'pending') GROUP BY operator_id`,
        );
        this.reset();
        for (const r of rows) this.set({ operator: r.operator_id }, r.n);
      },
    }),
    answerSeconds: new Histogram({
      name: 'idbridge_messenger_answer_seconds',
      help: `Time from first send to the operator answer of identification requests (limit ${ANSWER_WINDOW_SECONDS} s, R3)`,
      labelNames: ['operator'],
      // From 5 ms: the messenger's clock includes the round trip to the operator.
      buckets: ANSWER_TIME_BUCKETS.filter((b) => b >= 0.005),
      registers,
    }),
    deadlineMisses: new Counter({
      name: 'idbridge_messenger_deadline_misses_total',
      help: `Identification requests an operator answered late or not at all within ${describeDeadline(ANSWER_WINDOW_MS)}`,
      labelNames: ['operator', 'kind'],
      registers,
    }),
    noticeDelaySeconds: new Histogram({
      name: 'idbridge_messenger_notice_delay_seconds',
      help: `Time from the event a notice reports to its receipt (limit ${NOTICE_DEADLINE_SECONDS} s, R7)`,
      labelNames: ['operator'],
      buckets: NOTICE_DELAY_BUCKETS,
      registers,
    }),
    noticesLate: new Counter({
      name: 'idbridge_messenger_notices_late_total',
      help: `Notices received after their ${describeDeadline(NOTICE_DEADLINE_MS)} deadline (R7)`,
      labelNames: ['operator'],
      registers,
    }),
  };
}
