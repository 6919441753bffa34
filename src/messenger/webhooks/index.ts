import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import type { DeliverBatch } from '../../outbox/outbox-types.js';
import type { UserChange } from '../identification/messenger-identifier.js';
import {
  createUserChangesWebhookWriter,
  createUserChangeWebhookWriter,
} from './enqueue-webhook.js';
import type { WebhookSettings } from './webhook-config.js';
import { createWebhookTransport } from './webhook-transport.js';

export * from './enqueue-webhook.js';
export * from './webhook-config.js';
export * from './webhook-event.js';
export * from './webhook-signature.js';
export * from './webhook-transport.js';

/**
 * The two messenger-node dependencies for webhooks, or none when they are off
 * (`settings` null): then nothing is enqueued, so no row waits for a backend
 * that was never configured.
 */
export function createMessengerWebhooks(
  settings: WebhookSettings | null,
  deps: { clock: Clock; newId: IdGenerator; fetch?: typeof fetch },
): {
  enqueueWebhook?: (tx: Queryable, change: UserChange) => Promise<void>;
  enqueueWebhooks?: (tx: Queryable, changes: readonly UserChange[]) => Promise<void>;
  webhookTransport?: DeliverBatch;
} {
  if (!settings) return {};
  return {
    enqueueWebhook: createUserChangeWebhookWriter(deps),
    enqueueWebhooks: createUserChangesWebhookWriter(deps),
    webhookTransport: createWebhookTransport({
      ...settings,
      clock: deps.clock,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    }),
  };
}
