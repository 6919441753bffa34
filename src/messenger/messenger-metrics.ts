import { Counter, Histogram, type Registry } from 'prom-client';

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
  /** The event a notice reports to its receipt; the 24-hour line is 86400 s (R7). */
  noticeDelaySeconds: Histogram<'operator'>;
  /** Notices received after their `dueBy` (R7, R12). */
  noticesLate: Counter<'operator'>;
}

export function createMessengerMetrics(registry: Registry): MessengerMetrics {
  const registers = [registry];
  return {
    answerSeconds: new Histogram({
      name: 'idbridge_messenger_answer_seconds',
      help: 'Time from first send to the operator answer of identification requests (limit 1200 s, R3)',
      labelNames: ['operator'],
      buckets: [0.05, 0.1, 0.5, 1, 10, 60, 300, 600, 900, 1140, 1200, 1800],
      registers,
    }),
    deadlineMisses: new Counter({
      name: 'idbridge_messenger_deadline_misses_total',
      help: 'Identification requests an operator answered late or not at all within 20 minutes',
      labelNames: ['operator', 'kind'],
      registers,
    }),
    noticeDelaySeconds: new Histogram({
      name: 'idbridge_messenger_notice_delay_seconds',
      help: 'Time from the event a notice reports to its receipt (limit 86400 s, R7)',
      labelNames: ['operator'],
      buckets: [1, 10, 60, 600, 3600, 6 * 3600, 12 * 3600, 20 * 3600, 24 * 3600, 48 * 3600],
      registers,
    }),
    noticesLate: new Counter({
      name: 'idbridge_messenger_notices_late_total',
      help: 'Notices received after their 24-hour deadline (R7)',
      labelNames: ['operator'],
      registers,
    }),
  };
}
