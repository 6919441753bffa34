import { IdbridgeError } from '../../core/errors.js';
import type { HttpSenderConfig } from './sms-config.js';
import type { SmsSender } from './sms-sender.js';

/**
 * A generic HTTP SMS provider: `POST {to, text, reference}` as JSON with a
 * bearer token from config (set through the environment, never in code).
 * Any 2xx is success; the provider's `messageId` (or `id`) is returned when
 * the body has one, our reference otherwise. Non-2xx, network faults and
 * timeouts reject with UNAVAILABLE; the error never includes the body sent.
 */
export function createHttpSmsSender(
  config: HttpSenderConfig,
  deps: {
    fetch?: typeof fetch;
    /** Makes the per-request timeout signal; tests abort it by hand instead of waiting. */
    timeoutSignal?: (ms: number) => AbortSignal;
  } = {},
): SmsSender {
  if (!/^https?:\/\//.test(config.url)) {
    throw new IdbridgeError('CONFIG_INVALID', 'sms.http.url must be an http(s) URL');
  }
  if (config.token === '') {
    throw new IdbridgeError('CONFIG_INVALID', 'sms.http.token is required (set it from env)');
  }
  const doFetch = deps.fetch ?? fetch;
  const timeoutSignal = deps.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms));
  let closed = false;
  return {
    async send(message) {
      if (closed) throw new IdbridgeError('UNAVAILABLE', 'the HTTP SMS sender is closed');
      let response: Response;
      try {
        response = await doFetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${config.token}`,
          },
          body: JSON.stringify({
            to: message.to,
            text: message.text,
            reference: message.reference,
          }),
          signal: timeoutSignal(config.timeoutMs),
        });
      } catch (err) {
        const timedOut = (err as Error).name === 'TimeoutError';
        throw new IdbridgeError(
          'UNAVAILABLE',
          timedOut
            ? `SMS provider did not answer within ${config.timeoutMs} ms`
            : `SMS provider unreachable: ${(err as Error).message}`,
          { cause: err },
        );
      }
      const body = await response.text();
      if (response.status < 200 || response.status > 299) {
        throw new IdbridgeError('UNAVAILABLE', `SMS provider answered HTTP ${response.status}`);
      }
      return { messageId: providerMessageId(body) ?? message.reference };
    },
    close: async () => {
      closed = true;
    },
  };
}

function providerMessageId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { messageId, id } = parsed as { messageId?: unknown; id?: unknown };
    if (typeof messageId === 'string' && messageId !== '') return messageId;
    if (typeof id === 'string' && id !== '') return id;
    return undefined;
  } catch {
    return undefined;
  }
}
