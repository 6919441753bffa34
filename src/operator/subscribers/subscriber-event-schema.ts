import { type Static, Type } from '@sinclair/typebox';
import { DateTime, Msisdn, Uuid } from '../../protocol/schemas/common-schemas.js';

/**
 * Subscriber events from the operator's BSS (nodes.md "Subscriber base"),
 * as accepted by `POST /internal/v1/subscriber-events` and the NATS consumer.
 * Patterns instead of `format:` keywords, like the wire schemas, so Fastify's
 * Ajv and TypeBox's compiler validate alike.
 *
 * Every event names one contract of one number: (msisdn, contractId). Events
 * for one number are applied in `occurredAt` order; `eventId` is the
 * idempotency key.
 */
export const MAX_SUBSCRIBER_EVENTS_PER_BATCH = 1_000;

const ContractId = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'the BSS contract id; a corporate contract may cover many numbers',
});

const SubscriberTypeSchema = Type.Union([Type.Literal('individual'), Type.Literal('corporate')], {
  description: 'R4: for a corporate contract the data is on the user of the number',
});

const common = {
  eventId: Uuid,
  msisdn: Msisdn,
  contractId: ContractId,
  occurredAt: DateTime,
};

export const ContractStartedEvent = Type.Object(
  {
    type: Type.Literal('contract_started'),
    ...common,
    subscriberType: SubscriberTypeSchema,
    hasSubscriberData: Type.Boolean({
      description: 'R4: the base holds data on the subscriber (or corporate user)',
    }),
    /** Defaults to occurredAt. */
    contractStart: Type.Optional(DateTime),
    needsBssCheck: Type.Optional(
      Type.Boolean({ description: 'answer identifications for this number via the slow path' }),
    ),
  },
  { additionalProperties: false, $id: 'ContractStartedEvent' },
);

export const ContractTerminatedEvent = Type.Object(
  {
    type: Type.Literal('contract_terminated'),
    ...common,
    /** Defaults to occurredAt. */
    contractEnd: Type.Optional(DateTime),
  },
  { additionalProperties: false, $id: 'ContractTerminatedEvent' },
);

export const NumberPortedOutEvent = Type.Object(
  {
    type: Type.Literal('number_ported_out'),
    ...common,
    /** Defaults to occurredAt. */
    contractEnd: Type.Optional(DateTime),
  },
  { additionalProperties: false, $id: 'NumberPortedOutEvent' },
);

/** R7: a change of the user's details calls for re-identification even if no field here changes. */
export const SubscriberChangedEvent = Type.Object(
  {
    type: Type.Literal('subscriber_changed'),
    ...common,
    subscriberType: Type.Optional(SubscriberTypeSchema),
    hasSubscriberData: Type.Optional(Type.Boolean()),
    needsBssCheck: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, $id: 'SubscriberChangedEvent' },
);

export const SubscriberEvent = Type.Union(
  [ContractStartedEvent, ContractTerminatedEvent, NumberPortedOutEvent, SubscriberChangedEvent],
  { $id: 'SubscriberEvent' },
);

/** The body of `POST /internal/v1/subscriber-events`. */
export const SubscriberEventBatch = Type.Object(
  {
    events: Type.Array(SubscriberEvent, { minItems: 1, maxItems: MAX_SUBSCRIBER_EVENTS_PER_BATCH }),
  },
  { additionalProperties: false, $id: 'SubscriberEventBatch' },
);

export type ContractStartedEvent = Static<typeof ContractStartedEvent>;
export type ContractTerminatedEvent = Static<typeof ContractTerminatedEvent>;
export type NumberPortedOutEvent = Static<typeof NumberPortedOutEvent>;
export type SubscriberChangedEvent = Static<typeof SubscriberChangedEvent>;
export type SubscriberEvent = Static<typeof SubscriberEvent>;
export type SubscriberEventBatch = Static<typeof SubscriberEventBatch>;
export type SubscriberEventType = SubscriberEvent['type'];
