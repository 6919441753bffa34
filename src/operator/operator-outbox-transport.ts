import type { DirectoryIndex } from '../node/directory.js';
import type { ClaimedBatch, DeliveryOutcome } from '../outbox/index.js';
import type { PartnerClient } from '../protocol/http/partner-client.js';
import { NO_CONTENT_ANSWERS, NOTIFICATIONS_ANSWERS } from '../protocol/schemas/index.js';

/**
 * Delivers the operator's outbox to messengers (protocol.md §3, §5):
 * identification results one request each (the endpoint takes one), notices
 * up to 1,000 per request. Transport failures throw (the whole batch is
 * retried with backoff); a 4xx answer for a result is a permanent rejection.
 */
export function createOperatorOutboxTransport(deps: {
  client: PartnerClient;
  directory: DirectoryIndex;
}) {
  return async (
    batch: ClaimedBatch,
    options: { signal: AbortSignal },
  ): Promise<DeliveryOutcome> => {
    const partner = deps.directory.require(batch.partnerId);
    if (batch.kind === 'identification_result') {
      const outcome: Required<DeliveryOutcome> = { delivered: [], rejected: [], failed: [] };
      for (const item of batch.items) {
        const res = await deps.client.send({
          participantId: partner.id,
          baseUrl: partner.baseUrl,
          method: 'POST',
          path: '/v1/identification-results',
          body: item.payload,
          signal: options.signal,
          answers: NO_CONTENT_ANSWERS,
        });
        if (res.ok) outcome.delivered.push(item.id);
        else if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          outcome.rejected.push({ id: item.id, code: `HTTP_${res.status}` });
        } else outcome.failed.push({ id: item.id, error: `HTTP ${res.status}` });
      }
      return outcome;
    }
    if (batch.kind === 'notice') {
      const res = await deps.client.send({
        participantId: partner.id,
        baseUrl: partner.baseUrl,
        method: 'POST',
        path: '/v1/notifications',
        body: { notifications: batch.items.map((i) => i.payload) },
        signal: options.signal,
        answers: NOTIFICATIONS_ANSWERS,
      });
      if (!res.ok) throw new Error(`notifications answered HTTP ${res.status}`);
      const idOf = new Map(
        batch.items.map((i) => [(i.payload as { notificationId: string }).notificationId, i.id]),
      );
      const pick = (notificationId: string) => idOf.get(notificationId);
      return {
        delivered: res.body.acknowledged.map(pick).filter((id): id is string => id !== undefined),
        rejected: res.body.rejected.flatMap((r) => {
          const id = pick(r.notificationId);
          return id === undefined ? [] : [{ id, code: r.code }];
        }),
      };
    }
    throw new Error(`the operator has no transport for outbox kind "${batch.kind}"`);
  };
}
