import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { maskPhoneNumbers } from '../../core/mask-phone-numbers.js';
import type { UserChange } from '../identification/messenger-identifier.js';
import { maySend } from '../users/user-states.js';

/**
 * The events the messenger node sends to the messenger's own backend
 * (nodes.md "Events to the messenger's backend"), in the Standard Webhooks
 * payload shape `{type, timestamp, data}`. Documented for backend developers
 * in ./README.md.
 *
 * R11: a thin payload. No phone number and no identification code: the
 * backend knows its users by `userId` and can read the rest from the app API
 * (which does not expose the code either); a webhook body tends to end up in
 * request logs of proxies and backends.
 */
export const WEBHOOK_EVENT_TYPES = [
  'user.identified',
  'user.not_identified',
  'user.suspended',
  'user.deauthorized',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The user state each event reports. */
export const STATE_OF_EVENT = {
  'user.identified': 'identified',
  'user.not_identified': 'not_identified',
  'user.suspended': 'suspended',
  'user.deauthorized': 'deauthorized',
} as const satisfies Record<WebhookEventType, string>;

export type WebhookUserState = (typeof STATE_OF_EVENT)[WebhookEventType];

const EVENT_OF_STATE: Record<string, WebhookEventType | undefined> = Object.fromEntries(
  Object.entries(STATE_OF_EVENT).map(([type, state]) => [state, type as WebhookEventType]),
);

// A pattern, not `format: 'date-time'`: TypeBox checks unregistered formats as failures.
const Instant = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$',
  description: 'ISO 8601 instant in UTC',
});
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Longest `cause` carried; causes are short phrases, this only bounds the payload. */
export const MAX_CAUSE_LENGTH = 200;

export const UserWebhookDataSchema = Type.Object(
  {
    userId: Type.String({ minLength: 1 }),
    state: Type.Union(Object.values(STATE_OF_EVENT).map((s) => Type.Literal(s))),
    maySend: Type.Boolean({ description: 'R6: only identified users may send messages' }),
    cause: Type.String({
      maxLength: MAX_CAUSE_LENGTH,
      description: 'why the state changed, for people and logs (not a stable enum)',
    }),
    operatorId: Nullable(Type.String()),
    identifiedAt: Nullable(Instant),
    suspendedAt: Nullable(Instant),
    graceUntil: Nullable(Instant),
  },
  { additionalProperties: false },
);

export const WebhookEventSchema = Type.Object(
  {
    type: Type.Union(WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t))),
    timestamp: Instant,
    data: UserWebhookDataSchema,
  },
  { additionalProperties: false },
);

export type UserWebhookData = Static<typeof UserWebhookDataSchema>;
export type WebhookEvent = Static<typeof WebhookEventSchema>;

/**
 * The JSON body of an event, with keys in a fixed order: the stored payload
 * passes through jsonb, which reorders keys, and the same event should read
 * the same on every attempt.
 */
export function serializeWebhookEvent(event: WebhookEvent): string {
  const d = event.data;
  return JSON.stringify({
    type: event.type,
    timestamp: event.timestamp,
    data: {
      userId: d.userId,
      state: d.state,
      maySend: d.maySend,
      cause: d.cause,
      operatorId: d.operatorId,
      identifiedAt: d.identifiedAt,
      suspendedAt: d.suspendedAt,
      graceUntil: d.graceUntil,
    },
  });
}

/**
 * The event a user change calls for, or null when the backend is not told
 * (moves to `pending_identification`, deletion: the backend caused those
 * itself through the app API). `occurredAt` is the transition's time.
 */
export function webhookEventForUserChange(
  change: UserChange,
): { type: WebhookEventType; data: UserWebhookData; occurredAt: Date } | null {
  const { user } = change;
  const type = EVENT_OF_STATE[user.state];
  if (!type) return null;
  return {
    type,
    occurredAt: user.updatedAt,
    data: {
      userId: user.userId,
      state: STATE_OF_EVENT[type],
      maySend: maySend(user.state),
      // Causes are written by the node, but one may quote an operator's text:
      // never a number in clear (R11).
      cause: maskPhoneNumbers(change.cause).slice(0, MAX_CAUSE_LENGTH),
      operatorId: user.operatorId,
      identifiedAt: user.identifiedAt?.toISOString() ?? null,
      suspendedAt: user.suspendedAt?.toISOString() ?? null,
      graceUntil: user.graceUntil?.toISOString() ?? null,
    },
  };
}
