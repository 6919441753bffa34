import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { NOTICE_DEADLINE_SECONDS, NOTICE_DELAY_BUCKETS } from '../core/deadlines.js';
import type { OutboxStatusLine } from './outbox-ops-store.js';

/**
 * Prometheus metrics of the outbox, registered on the registry the node
 * passes in (never the global one). Create them once per registry and share
 * them between the workers of a process; labels carry partner ids and
 * kinds only, never payloads.
 */
export interface OutboxMetrics {
  /** R12: undelivered items whose deadline is near or past (each counted once). */
  deadlineRisk: Counter<'partner' | 'kind'>;
  /** Undelivered (pending) items per partner and kind, refreshed by the worker. */
  backlog: Gauge<'partner' | 'kind'>;
  /** Failing items (pending with at least one failed attempt). */
  failing: Gauge<'partner' | 'kind'>;
  /** Items by delivery outcome: delivered, rejected, failed. */
  outcomes: Counter<'partner' | 'kind' | 'outcome'>;
  /** Enqueue to acknowledgment of delivered items (notices: the line is NOTICE_DEADLINE_SECONDS, R7). */
  deliverySeconds: Histogram<'partner' | 'kind'>;
  /** Items acknowledged after their deadline (`due_by`), counted by the worker that delivered them. */
  deadlineMisses: Counter<'partner' | 'kind'>;
  /** 1 while this process holds a partner's circuit open. */
  circuitOpen: Gauge<'partner'>;
}

export function createOutboxMetrics(registry: Registry): OutboxMetrics {
  const registers = [registry];
  return {
    deadlineRisk: new Counter({
      name: 'idbridge_outbox_deadline_risk_total',
      help: 'Outbox items still undelivered as their compliance deadline nears or passes',
      labelNames: ['partner', 'kind'],
      registers,
    }),
    backlog: new Gauge({
      name: 'idbridge_outbox_backlog',
      help: 'Outbox items not yet acknowledged, per destination partner and kind',
      labelNames: ['partner', 'kind'],
      registers,
    }),
    failing: new Gauge({
      name: 'idbridge_outbox_failing',
      help: 'Outbox items pending after at least one failed attempt',
      labelNames: ['partner', 'kind'],
      registers,
    }),
    outcomes: new Counter({
      name: 'idbridge_outbox_deliveries_total',
      help: 'Outbox delivery outcomes per item',
      labelNames: ['partner', 'kind', 'outcome'],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'idbridge_outbox_delivery_seconds',
      help: `Time from enqueue to acknowledgment of delivered outbox items (notices: limit ${NOTICE_DEADLINE_SECONDS} s, R7)`,
      labelNames: ['partner', 'kind'],
      buckets: [0.1, ...NOTICE_DELAY_BUCKETS],
      registers,
    }),
    deadlineMisses: new Counter({
      name: 'idbridge_outbox_deadline_misses_total',
      help: 'Outbox items acknowledged after their compliance deadline',
      labelNames: ['partner', 'kind'],
      registers,
    }),
    circuitOpen: new Gauge({
      name: 'idbridge_outbox_circuit_open',
      help: '1 while this process skips a partner after consecutive delivery failures',
      labelNames: ['partner'],
      registers,
    }),
  };
}

/** Replaces the backlog gauges with a fresh status (partners that drained go away). */
export function recordOutboxBacklog(
  metrics: OutboxMetrics,
  status: readonly OutboxStatusLine[],
): void {
  metrics.backlog.reset();
  metrics.failing.reset();
  for (const line of status) {
    const labels = { partner: line.partnerId, kind: line.kind };
    metrics.backlog.set(labels, line.pending);
    metrics.failing.set(labels, line.failing);
  }
}
