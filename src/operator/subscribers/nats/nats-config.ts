import { type Static, Type } from '@sinclair/typebox';

/**
 * The `operator.nats` section: the JetStream consumer of BSS subscriber
 * events (nodes.md "Subscriber base"; the same events as
 * `POST /internal/v1/subscriber-events`), part of the operator's config.
 *
 * Secrets are never in the repository: set them through the environment
 * (`IDBRIDGE_OPERATOR__NATS__TOKEN`, `IDBRIDGE_OPERATOR__NATS__PASS`) or point
 * at files (`tokenFile`, `passFile`, `credsFile`) the deployer provides.
 *
 * Stream: by default the consumer REQUIRES the stream to exist (it belongs
 * to the BSS side, which chooses its retention and replicas) and fails to
 * start otherwise; `createStream: true` creates a file-backed stream on
 * `subject` (and `deadLetterSubject`, when set) for development and the
 * sandbox. The durable pull consumer is always ensured by us.
 *
 * Redelivery: a message whose apply failed is returned to the server after
 * `retryDelayMs · 2^(delivery−1)`, capped at `maxRetryDelayMs` (held by the
 * consumer, kept alive, then nak-ed, so that order holds). When it
 * fails on its `maxDeliver`-th delivery it is published to
 * `deadLetterSubject` (if set, and then terminated) or terminated with an
 * error log naming its event ids. Terminated messages stay in the stream;
 * re-publishing one is safe because applying is idempotent by eventId.
 */
const Name = (fallback: string, description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9_-]{1,255}$', default: fallback, description });
const Subject = Type.String({ pattern: '^[A-Za-z0-9_.-]+$', minLength: 1 });
const ServerUrl = Type.String({ pattern: '^(nats|tls)://' });

export const NatsConsumerConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    servers: Type.Union([ServerUrl, Type.Array(ServerUrl, { minItems: 1 })], {
      default: 'nats://127.0.0.1:4222',
      description: 'one URL or a list (comma-separated in the environment)',
    }),
    stream: Name('BSS_EVENTS', 'JetStream stream holding the events'),
    subject: Type.String({
      ...Subject,
      default: 'bss.subscriber-events',
      description: 'one event (or an {events:[...]} batch) per message, JSON',
    }),
    durable: Name('idbridge-operator', 'durable pull consumer name shared by all instances'),
    createStream: Type.Boolean({
      default: false,
      description: 'create the stream when missing (development); otherwise it must exist',
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
    pullExpiresMs: Type.Integer({
      minimum: 1_000,
      maximum: 300_000,
      default: 5_000,
      description: 'how long one pull request waits for messages; bounds the time to stop',
    }),
    ackWaitMs: Type.Integer({
      minimum: 500,
      maximum: 3_600_000,
      default: 30_000,
      description: 'an unacknowledged message is redelivered after this',
    }),
    maxDeliver: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 50,
      description: 'after a failed apply on this delivery the message is dead-lettered',
    }),
    retryDelayMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 1_000 }),
    maxRetryDelayMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 60_000 }),
    deadLetterSubject: Type.Optional(
      Type.String({
        ...Subject,
        description: 'JetStream subject for messages that failed maxDeliver times',
      }),
    ),
    user: Type.Optional(Type.String({ minLength: 1 })),
    pass: Type.Optional(Type.String({ minLength: 1, description: 'secret: set from env' })),
    passFile: Type.Optional(Type.String({ minLength: 1 })),
    token: Type.Optional(Type.String({ minLength: 1, description: 'secret: set from env' })),
    tokenFile: Type.Optional(Type.String({ minLength: 1 })),
    credsFile: Type.Optional(
      Type.String({ minLength: 1, description: 'NATS .creds file (JWT and NKey seed)' }),
    ),
  },
  { additionalProperties: false, default: {} },
);

export type NatsConsumerConfig = Static<typeof NatsConsumerConfigSchema>;
