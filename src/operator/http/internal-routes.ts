import { Type } from '@sinclair/typebox';
import type { HttpApp } from '../../http/create-http-app.js';
import { BODY_ROUTE_ERRORS, errorResponses, Uuid } from '../../protocol/schemas/index.js';
import type { OperatorMetrics } from '../operator-metrics.js';
import {
  SUBSCRIBER_EVENT_ERRORS,
  type SubscriberEventErrorCode,
  type SubscriberEventResult,
} from '../subscribers/subscriber-event-result.js';
import {
  type SubscriberEvent,
  SubscriberEventBatch,
} from '../subscribers/subscriber-event-schema.js';

/** One event's outcome, in the order sent (subscriber-event-result.ts). */
const EventResult = Type.Object(
  {
    eventId: Uuid,
    status: Type.Union([Type.Literal('applied'), Type.Literal('refused'), Type.Literal('failed')]),
    duplicate: Type.Boolean({ description: 'the stored answer to an earlier delivery' }),
    code: Type.Optional(
      // Unsafe only names the static type: the union of the codes' literals
      // is built from a list, which TypeBox cannot type by itself.
      Type.Unsafe<SubscriberEventErrorCode>(
        Type.Union(Object.keys(SUBSCRIBER_EVENT_ERRORS).map((code) => Type.Literal(code))),
      ),
    ),
    message: Type.Optional(Type.String()),
    endedContractIds: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

/**
 * The BSS-facing internal API (nodes.md): never mounted on the partner
 * listener; guarded by the internal bearer credential.
 */
export function registerOperatorInternalRoutes(
  app: HttpApp,
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
        operationId: 'applySubscriberEvents',
        summary:
          'Contract events from the billing system, applied in order per number, idempotent by eventId',
        body: SubscriberEventBatch,
        response: {
          200: Type.Object({ results: Type.Array(EventResult) }, { additionalProperties: false }),
          ...errorResponses(...BODY_ROUTE_ERRORS),
        },
      },
    },
    async (request) => {
      const { events } = request.body;
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
