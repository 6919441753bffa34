import { Value } from '@sinclair/typebox/value';
import { type Clock, systemClock } from '../../core/clock.js';
import type { ClaimedBatch, DeliverBatch, DeliveryOutcome } from '../../outbox/outbox-types.js';
import { StoredWebhookSchema } from './enqueue-webhook.js';
import { serializeWebhookEvent } from './webhook-event.js';
import { parseWebhookSecret, type SignedWebhookHeaders, signWebhook } from './webhook-signature.js';

export interface WebhookTransportOptions {
  /** The backend's endpoint; every event is POSTed here. */
  url: string;
  /** `whsec_…` shared with the backend. */
  secret: string;
  /** Per request (the spec recommends 15–30 s). */
  timeoutMs: number;
  /** For `webhook-timestamp`, the attempt's time (default: system clock). */
  clock?: Clock;
  fetch?: typeof fetch;
}

/**
 * Delivers outbox batches of kind `webhook` to the messenger's backend: one
 * signed POST per event, as Standard Webhooks does, in the batch's order
 * (oldest first).
 *
 * Outcomes: 2xx delivered; 408, 429, 3xx (redirects are not followed), 5xx,
 * timeouts and transport errors failed, retried by the outbox with its
 * backoff; any other 4xx rejected for good as `HTTP_<status>` (an operator of
 * the software may retry it with `idbridge outbox retry`).
 *
 * After the first failure the rest of the batch is not sent and fails too:
 * the backend is likely down, so there is no point waiting out a timeout per
 * event, and the events keep their order for the next attempt. Nothing is
 * sent once the outbox lease ends (`signal`).
 */
export function createWebhookTransport(options: WebhookTransportOptions): DeliverBatch {
  parseWebhookSecret(options.secret); // a bad secret fails at startup, not per event
  const doFetch = options.fetch ?? fetch;
  const clock = options.clock ?? systemClock;

  return async (batch: ClaimedBatch, { signal }): Promise<DeliveryOutcome> => {
    const outcome: Required<DeliveryOutcome> = { delivered: [], rejected: [], failed: [] };
    let stopReason: string | undefined;
    for (const item of batch.items) {
      if (!stopReason && signal.aborted) stopReason = 'not sent: the outbox lease ended';
      if (stopReason) {
        outcome.failed.push({ id: item.id, error: stopReason });
        continue;
      }
      if (!Value.Check(StoredWebhookSchema, item.payload)) {
        outcome.rejected.push({ id: item.id, code: 'INVALID_WEBHOOK_PAYLOAD' });
        continue;
      }
      const { webhookId, event } = item.payload;
      const body = serializeWebhookEvent(event);
      const headers = signWebhook({
        secret: options.secret,
        id: webhookId,
        timestamp: clock.now(),
        body,
      });
      const result = await post(doFetch, options, headers, body, signal);
      if (result.kind === 'delivered') outcome.delivered.push(item.id);
      else if (result.kind === 'rejected')
        outcome.rejected.push({ id: item.id, code: result.code });
      else {
        outcome.failed.push({ id: item.id, error: result.error });
        stopReason = `not sent: an earlier webhook of the batch failed (${result.error})`;
      }
    }
    return outcome;
  };
}

type PostResult =
  | { kind: 'delivered' }
  | { kind: 'rejected'; code: string }
  | { kind: 'failed'; error: string };

async function post(
  doFetch: typeof fetch,
  options: WebhookTransportOptions,
  headers: SignedWebhookHeaders,
  body: string,
  leaseSignal: AbortSignal,
): Promise<PostResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await doFetch(options.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([leaseSignal, timeout]),
    });
    // Read the (ignored) answer so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    const status = res.status;
    if (status >= 200 && status < 300) return { kind: 'delivered' };
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      return { kind: 'rejected', code: `HTTP_${status}` };
    }
    return { kind: 'failed', error: `HTTP ${status}` };
  } catch (err) {
    if (timeout.aborted)
      return { kind: 'failed', error: `timed out after ${options.timeoutMs} ms` };
    if (leaseSignal.aborted) return { kind: 'failed', error: 'the outbox lease ended' };
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { kind: 'failed', error: `${err instanceof Error ? err.message : String(err)}${cause}` };
  }
}
