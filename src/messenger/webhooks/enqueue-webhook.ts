import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { enqueueOutbox } from '../../outbox/outbox-store.js';
import type { UserChange } from '../identification/messenger-identifier.js';
import {
  STATE_OF_EVENT,
  type UserWebhookData,
  WebhookEventSchema,
  type WebhookEventType,
  webhookEventForUserChange,
} from './webhook-event.js';

/** Outbox kind of webhook rows (routed to the webhook transport by the node). */
export const WEBHOOK_OUTBOX_KIND = 'webhook';
/** The one destination: the messenger's own backend (outbox `partner_id`). */
export const WEBHOOK_PARTNER_ID = 'backend';

/**
 * An outbox row's payload: the event and its Standard Webhooks id, fixed at
 * enqueue so every retry carries the same `webhook-id` and the backend can
 * deduplicate.
 */
export const StoredWebhookSchema = Type.Object({
  webhookId: Type.String({ pattern: '^[^.]+$' }),
  event: WebhookEventSchema,
});

export interface NewWebhook {
  type: WebhookEventType;
  data: UserWebhookData;
  /** When the change happened (the event's `timestamp`), not when it is sent. */
  occurredAt: Date;
  /** Unique per event; enqueueing the same key again adds nothing. */
  dedupeKey: string;
}

/**
 * Writes one webhook into the outbox inside the caller's transaction `tx`:
 * it is sent only if that transaction commits, and at least once from then
 * on (retried with the outbox backoff). Call `worker.wake()` after commit.
 * Safe to call concurrently from any number of transactions; a repeated
 * `dedupeKey` is a no-op (`enqueued: false`).
 */
export async function enqueueWebhook(
  tx: Queryable,
  webhook: NewWebhook,
  deps: { now: Date; newId: IdGenerator },
): Promise<{ enqueued: boolean; webhookId: string }> {
  const row = webhookOutboxItem(webhook, deps.newId);
  const { insertedIds } = await enqueueOutbox(tx, [row], deps);
  return { enqueued: insertedIds.length > 0, webhookId: row.payload.webhookId };
}

/** A checked webhook event as an outbox row (throws on an event the schema refuses). */
function webhookOutboxItem(webhook: NewWebhook, newId: IdGenerator) {
  if (STATE_OF_EVENT[webhook.type] !== webhook.data.state) {
    throw new Error(`a ${webhook.type} event cannot report state ${webhook.data.state}`);
  }
  const event = {
    type: webhook.type,
    timestamp: webhook.occurredAt.toISOString(),
    data: webhook.data,
  };
  if (!Value.Check(WebhookEventSchema, event)) {
    const first = [...Value.Errors(WebhookEventSchema, event)][0];
    throw new Error(`invalid webhook event at ${first?.path ?? '/'}: ${first?.message ?? ''}`);
  }
  return {
    kind: WEBHOOK_OUTBOX_KIND,
    partnerId: WEBHOOK_PARTNER_ID,
    dedupeKey: webhook.dedupeKey,
    payload: { webhookId: `msg_${newId()}`, event },
    // Not a compliance message: no deadline (R7 deadlines concern notices).
    dueBy: null,
  };
}

/**
 * The `enqueueWebhook` dependency of the messenger node: called inside the
 * transaction of every user change, it enqueues the event the change calls
 * for (see `webhookEventForUserChange`), if any.
 *
 * Each call is one committed transition (a rolled-back change leaves no
 * row), so the dedupe key is simply unique per call.
 */
export function createUserChangeWebhookWriter(deps: {
  clock: Clock;
  newId: IdGenerator;
}): (tx: Queryable, change: UserChange) => Promise<void> {
  const writeMany = createUserChangesWebhookWriter(deps);
  return (tx, change) => writeMany(tx, [change]);
}

/**
 * The same for a set of changes made in one transaction (a notices request
 * suspends up to 1,000 users): one INSERT for all their events instead of
 * one per user.
 */
export function createUserChangesWebhookWriter(deps: {
  clock: Clock;
  newId: IdGenerator;
}): (tx: Queryable, changes: readonly UserChange[]) => Promise<void> {
  return async (tx, changes) => {
    const rows = [];
    for (const change of changes) {
      const event = webhookEventForUserChange(change);
      if (!event) continue;
      rows.push(
        webhookOutboxItem(
          { ...event, dedupeKey: `user:${change.user.userId}:${deps.newId()}` },
          deps.newId,
        ),
      );
    }
    await enqueueOutbox(tx, rows, { now: deps.clock.now(), newId: deps.newId });
  };
}
