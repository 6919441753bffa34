import { Counter, Histogram, type Registry } from 'prom-client';

/** The operator's compliance facts as Prometheus metrics (R10, R12). */
export interface OperatorMetrics {
  identifications: Counter<'messenger' | 'result'>;
  /** Receipt to answer; the 20-minute line is 1200 s (R3). */
  answerSeconds: Histogram<'messenger'>;
  batchItems: Counter<'messenger'>;
  subscriberEvents: Counter<'type' | 'status'>;
}

export function createOperatorMetrics(registry: Registry): OperatorMetrics {
  return {
    identifications: new Counter({
      name: 'idbridge_operator_identifications_total',
      help: 'Identification requests answered, by messenger and result',
      labelNames: ['messenger', 'result'],
      registers: [registry],
    }),
    answerSeconds: new Histogram({
      name: 'idbridge_operator_answer_seconds',
      help: 'Time from receipt to answer of identification requests (limit 1200 s, R3)',
      labelNames: ['messenger'],
      buckets: [0.01, 0.1, 1, 10, 60, 300, 600, 900, 1140, 1200, 1800],
      registers: [registry],
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
