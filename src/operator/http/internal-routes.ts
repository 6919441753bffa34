import type { FastifyInstance } from 'fastify';
import type { OperatorMetrics } from '../operator-metrics.js';
import type { SubscriberEventResult } from '../subscribers/subscriber-event-result.js';
import {
  type SubscriberEvent,
  SubscriberEventBatch,
} from '../subscribers/subscriber-event-schema.js';

/**
 * The BSS-facing internal API (nodes.md): never mounted on the partner
 * listener; guarded by the internal bearer credential.
 */
export function registerOperatorInternalRoutes(
  app: FastifyInstance,
  deps: {
    metrics: OperatorMetrics;
    /** Applies events with the node's R7 hooks (the same path the NATS consumer takes). */
    applyEvents: (events: SubscriberEvent[]) => Promise<SubscriberEventResult[]>;
  },
): void {
  app.post(
    '/internal/v1/subscriber-events',
    {
      schema: {
        summary:
          'Contract events from the billing system, applied in order per number, idempotent by eventId',
        body: SubscriberEventBatch,
      },
    },
    async (request) => {
      const { events } = request.body as SubscriberEventBatch;
      const results = await deps.applyEvents(events);
      for (const [i, r] of results.entries()) {
        if (!r.duplicate)
          deps.metrics.subscriberEvents.inc({
            type: events[i]?.type ?? 'unknown',
            status: r.status,
          });
      }
      return { results };
    },
  );
}
