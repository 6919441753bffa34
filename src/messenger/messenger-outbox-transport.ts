import type { DirectoryIndex } from '../node/directory.js';
import type { ClaimedBatch, DeliverBatch, DeliveryOutcome } from '../outbox/index.js';
import type { PartnerClient } from '../protocol/http/partner-client.js';
import { NO_CONTENT_ANSWERS } from '../protocol/schemas/index.js';

/**
 * Delivers the messenger's outbox: withdrawals of codes to operators (I4,
 * `DELETE /v1/registrations/{code}`; 204, or 404 when the operator already
 * closed the entry — both mean done) and, through `webhooks`, events to the
 * messenger's own backend.
 */
export function createMessengerOutboxTransport(deps: {
  client: PartnerClient;
  directory: DirectoryIndex;
  webhooks?: DeliverBatch | undefined;
}): DeliverBatch {
  return async (
    batch: ClaimedBatch,
    options: { signal: AbortSignal },
  ): Promise<DeliveryOutcome> => {
    if (batch.kind === 'webhook') {
      if (!deps.webhooks)
        return {
          delivered: [],
          rejected: batch.items.map((i) => ({ id: i.id, code: 'WEBHOOKS_DISABLED' })),
        };
      return deps.webhooks(batch, options);
    }
    if (batch.kind === 'withdrawal') {
      const operator = deps.directory.require(batch.partnerId);
      const outcome: Required<DeliveryOutcome> = { delivered: [], rejected: [], failed: [] };
      for (const item of batch.items) {
        const { identificationCode } = item.payload as { identificationCode: string };
        const res = await deps.client.send({
          participantId: operator.id,
          baseUrl: operator.baseUrl,
          method: 'DELETE',
          path: `/v1/registrations/${encodeURIComponent(identificationCode)}`,
          signal: options.signal,
          answers: NO_CONTENT_ANSWERS,
        });
        // 404: the operator holds no open registration with this code, which is what was asked.
        if (res.ok || res.status === 404) outcome.delivered.push(item.id);
        else outcome.failed.push({ id: item.id, error: `HTTP ${res.status}` });
      }
      return outcome;
    }
    throw new Error(`the messenger has no transport for outbox kind "${batch.kind}"`);
  };
}
