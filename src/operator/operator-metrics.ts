import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import { ANSWER_TIME_BUCKETS, ANSWER_WINDOW_SECONDS } from '../core/deadlines.js';
import type { Queryable } from '../db/port.js';
import type { IdentifyStats } from './identification/identify-requests.js';

/** The operator's compliance facts as Prometheus metrics (R10, R12). */
export interface OperatorMetrics {
  identifications: Counter<'messenger' | 'result'>;
  /** Receipt to answer; the 20-minute line is 1200 s (R3). */
  answerSeconds: Histogram<'messenger'>;
  /** Answered after the 20-minute line, by this process (R3, R10). */
  deadlineMisses: Counter<'messenger'>;
  /** Pending past the line now, read from the database at scrape time (all instances). */
  pendingPastDeadline: Gauge<'messenger'>;
  batchItems: Counter<'messenger'>;
  subscriberEvents: Counter<'type' | 'status'>;
}

/**
 * `db` and `clock`, when given, let the pending-past-deadline gauge read the
 * database at scrape time: a partial-index count of pending requests, so it
 * stays cheap however large the request history grows.
 */
export function createOperatorMetrics(
  registry: Registry,
  source?: { db: Queryable; clock: Clock },
): OperatorMetrics {
  return {
    identifications: new Counter({
      name: 'idbridge_operator_identifications_total',
      help: 'Identification answers by messenger and result; a 202 counts as pending, and its later decision as confirmed or not_confirmed',
      labelNames: ['messenger', 'result'],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: 'idbridge_operator_answer_seconds',
      help: `Time from receipt to answer of identification requests (limit ${ANSWER_WINDOW_SECONDS} s, R3)`,
      labelNames: ['messenger'],
      buckets: ANSWER_TIME_BUCKETS,
      registers: [registry],
    }),
    deadlineMisses: new Counter({
      name: 'idbridge_operator_deadline_misses_total',
      help: 'Identification requests answered after their 20-minute deadline (R3)',
      labelNames: ['messenger'],
      registers: [registry],
    }),
    pendingPastDeadline: new Gauge({
      name: 'idbridge_operator_pending_past_deadline',
      help: 'Identification requests still pending after their 20-minute deadline (R3, R10)',
      labelNames: ['messenger'],
      registers: [registry],
      async collect() {
        if (!source) return;
        const { rows } = await source.db.query<{ messenger_id: string; n: number }>(
          `SELECT messenger_id, count(*)::int AS n FROM identification_requests
            WHERE state = 'pending' AND answer_by <= $1 GROUP BY messenger_id`,
          [source.clock.now()],
        );
        this.reset();
        for (const r of rows) this.set({ messenger: r.messenger_id }, r.n);
      },
    }),
    batchItems: new Counter({
      name: 'idbridge_operator_batch_items_total',
      help: 'Legacy batch items decided (R9)',
      labelNames: ['messenger'],
      registers: [registry],
    }),
    subscriberEvents: new Counter({
      name: 'idbridge_operator_subscriber_events_total',
      help: 'Subscriber events from the BSS, by type and outcome',
      labelNames: ['type', 'status'],
      registers: [registry],
    }),
  };
}

/**
 * How single identifications were decided (identify-requests.ts), read from
 * `stats` at scrape time: `how="group"` counts requests decided together,
 * `how="alone"` those decided in a transaction of their own, and
 * `how="group_failed"` the groups rolled back and decided alone. Tells an
 * operator whether `operator.identificationGroups` is doing its work.
 */
export function registerIdentifyMetrics(registry: Registry, stats: () => IdentifyStats): void {
  new Counter({
    name: 'idbridge_operator_single_identifications_total',
    help: 'Single identification requests decided, by how: together in a group, or alone; and groups that failed and were decided alone',
    labelNames: ['how'],
    registers: [registry],
    collect() {
      const s = stats();
      this.reset();
      this.inc({ how: 'group' }, s.grouped);
      this.inc({ how: 'alone' }, s.alone);
      this.inc({ how: 'group_failed' }, s.fallbacks);
    },
  });
}
