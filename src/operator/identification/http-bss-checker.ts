import type { BssChecker, BssVerdict } from './slow-path.js';

/**
 * A BSS reached over HTTP: `POST url {msisdn, contractId}` answers
 * `{"result": "confirmed" | "not_confirmed" | "undecided"}`. Anything else,
 * or a timeout, is an error: the slow path retries until the sweeper's
 * deadline (R10).
 */
export function createHttpBssChecker(options: {
  url: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}): BssChecker {
  const doFetch = options.fetch ?? fetch;
  return {
    async check(input) {
      const res = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!res.ok) throw new Error(`BSS check answered HTTP ${res.status}`);
      const body = (await res.json()) as { result?: unknown };
      if (
        body.result === 'confirmed' ||
        body.result === 'not_confirmed' ||
        body.result === 'undecided'
      ) {
        return body.result as BssVerdict;
      }
      throw new Error('BSS check answered without a valid result');
    },
  };
}
