import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Database } from '../../db/port.js';
import type { OperatorMetrics } from '../operator-metrics.js';
import { applySubscriberEvents } from '../subscribers/apply-subscriber-events.js';
import type { ApplySubscriberEventsOptions } from '../subscribers/subscriber-event-result.js';
import { SubscriberEventBatch } from '../subscribers/subscriber-event-schema.js';

/**
 * The BSS-facing internal API (nodes.md): never mounted on the partner
 * listener; guarded by the internal bearer credential.
 */
export function registerOperatorInternalRoutes(
  app: FastifyInstance,
  deps: {
    db: Database;
    clock: Clock;
    log: Logger;
    metrics: OperatorMetrics;
    hooks: Pick<ApplySubscriberEventsOptions, 'onContractEnded' | 'onSubscriberChanged'>;
    afterCommit: () => void;
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
      const results = await applySubscriberEvents(deps.db, events, {
        clock: deps.clock,
        log: deps.log,
        ...deps.hooks,
      });
      for (const [i, r] of results.entries()) {
        if (!r.duplicate)
          deps.metrics.subscriberEvents.inc({
            type: events[i]?.type ?? 'unknown',
            status: r.status,
          });
      }
      deps.afterCommit();
      return { results };
    },
  );
}
