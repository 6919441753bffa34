import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { KeyResolver, Signer, VerifiedSignature } from '../signatures/index.js';
import { signRequest, verifyResponse } from '../signatures/index.js';

export interface PartnerResponse<T = unknown> {
  status: number;
  body: T;
  /** The verified response signature: evidence to keep (R10). */
  evidence: VerifiedSignature['evidence'];
}

export interface PartnerClientOptions {
  signer: Signer;
  resolveKey: KeyResolver;
  clock: Clock;
  /** Per attempt. */
  timeoutMs?: number;
  /** Further attempts after a transport error (never after an HTTP answer). */
  retries?: number;
  /** Delay before retry n (1-based); default 200 ms × 2^(n-1). */
  backoffMs?: (attempt: number) => number;
  fetch?: typeof fetch;
  maxSkewSeconds?: number;
}

export interface PartnerClient {
  /**
   * Sends a signed request to `participantId` at `baseUrl + path` and
   * verifies the signed response came from that participant. Retries only
   * transport failures (connection refused, reset, timeout): every POST of
   * the protocol is idempotent by its id, so a retry is safe. An HTTP error
   * status is returned, not thrown; a missing or bad response signature
   * throws UNAUTHENTICATED; exhausted retries throw UNAVAILABLE.
   */
  send<T = unknown>(request: {
    participantId: string;
    baseUrl: string;
    method: 'GET' | 'POST' | 'DELETE';
    path: string;
    body?: unknown;
    correlator?: string;
    signal?: AbortSignal;
  }): Promise<PartnerResponse<T>>;
}

export function createPartnerClient(options: PartnerClientOptions): PartnerClient {
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 2;
  const backoff = options.backoffMs ?? ((n: number) => 200 * 2 ** (n - 1));

  return {
    async send(req) {
      const targetUri = `${req.baseUrl.replace(/\/$/, '')}${req.path}`;
      const bodyText = req.body === undefined ? undefined : JSON.stringify(req.body);
      let lastError: unknown;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) await sleep(backoff(attempt), req.signal);
        // Each attempt is signed afresh: a new nonce, a current `created`.
        const headers: Record<string, string> = { accept: 'application/json' };
        if (bodyText !== undefined) headers['content-type'] = 'application/json';
        if (req.correlator) headers['x-correlator'] = req.correlator;
        const requestParts = { method: req.method, targetUri, headers, body: bodyText };
        Object.assign(
          headers,
          signRequest(requestParts, options.signer, { created: options.clock.now() }),
        );

        let response: Response;
        let raw: Buffer;
        try {
          const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
          response = await doFetch(targetUri, {
            method: req.method,
            headers,
            body: bodyText,
            signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
          });
          raw = Buffer.from(await response.arrayBuffer());
        } catch (err) {
          if (req.signal?.aborted) throw err;
          lastError = err;
          continue;
        }

        const verified = verifyResponse(
          {
            status: response.status,
            headers: response.headers,
            body: raw.length > 0 ? raw : undefined,
          },
          { ...requestParts, headers },
          options.resolveKey,
          { now: options.clock.now(), maxSkewSeconds: options.maxSkewSeconds ?? 300 },
        );
        if (verified.participantId !== req.participantId) {
          throw new IdbridgeError(
            'UNAUTHENTICATED',
            `response signed by ${verified.participantId}, expected ${req.participantId}`,
          );
        }
        let body: unknown;
        try {
          body = raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          throw new IdbridgeError(
            'UNAVAILABLE',
            `${req.participantId} answered with a non-JSON body`,
          );
        }
        return { status: response.status, body: body as never, evidence: verified.evidence };
      }
      throw new IdbridgeError(
        'UNAVAILABLE',
        `${req.participantId} unreachable after ${retries + 1} attempts: ${describe(lastError)}`,
        { cause: lastError },
      );
    },
  };
}

function describe(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; name?: string; message?: string };
  return e?.cause?.code ?? e?.cause?.message ?? e?.name ?? e?.message ?? String(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
