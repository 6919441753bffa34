import { request as undiciRequest } from 'undici';
import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { HeaderSource } from '../signatures/header-values.js';
import type { KeyResolver, Signer, VerifiedSignature } from '../signatures/index.js';
import { signRequest, verifyResponse } from '../signatures/index.js';
import { type AnswerBody, type AnswerSchemas, readAnswer } from './partner-answers.js';

/** A verified answer, read by the protocol: one of the request's answers, or an error. */
export type PartnerResponse<S extends AnswerSchemas> = {
  status: number;
  /** The verified response signature: evidence to keep (R10). */
  evidence: VerifiedSignature['evidence'];
} & (
  | { ok: true; body: AnswerBody<S> }
  | { ok: false; error: { status: number; code: string; message: string } | undefined }
);

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
  /** Replaces the default transport (undici's request): tests and benchmarks count, delay or fail requests with it. */
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
   * throws UNAUTHENTICATED; exhausted retries, and an answer the protocol
   * does not allow for this request (`answers`), throw UNAVAILABLE.
   */
  send<S extends AnswerSchemas>(request: {
    participantId: string;
    baseUrl: string;
    method: 'GET' | 'POST' | 'DELETE';
    path: string;
    body?: unknown;
    correlator?: string;
    signal?: AbortSignal;
    /** The success statuses this request may get, with their body schemas. */
    answers: S;
  }): Promise<PartnerResponse<S>>;
}

export function createPartnerClient(options: PartnerClientOptions): PartnerClient {
  const exchange = options.fetch ? viaFetch(options.fetch) : viaUndici;
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

        let response: Exchanged;
        try {
          const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
          response = await exchange(targetUri, {
            method: req.method,
            headers,
            body: bodyText,
            signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
          });
        } catch (err) {
          if (req.signal?.aborted) throw err;
          lastError = err;
          continue;
        }

        const verified = verifyResponse(
          {
            status: response.status,
            headers: response.headers,
            body: response.raw.length > 0 ? response.raw : undefined,
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
          body = response.raw.length > 0 ? JSON.parse(response.raw.toString('utf8')) : undefined;
        } catch {
          throw new IdbridgeError(
            'UNAVAILABLE',
            `${req.participantId} answered with a non-JSON body`,
          );
        }
        const read = readAnswer(req.participantId, req.answers, response.status, body);
        return { status: response.status, evidence: verified.evidence, ...read };
      }
      throw new IdbridgeError(
        'UNAVAILABLE',
        `${req.participantId} unreachable after ${retries + 1} attempts: ${describe(lastError)}`,
        { cause: lastError },
      );
    },
  };
}

/** One HTTP exchange as the signature check needs it: status, headers, raw body. */
interface Exchanged {
  status: number;
  headers: HeaderSource;
  raw: Buffer;
}
type Exchange = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<Exchanged>;

/**
 * The default transport: undici's request API on its keep-alive pool. It is
 * the same HTTP client as Node's fetch without the WHATWG stream and Request
 * and Response objects around it, which cost a partner sending many small
 * signed requests about a third of its CPU per request (bench
 * operator-identify, load client profile).
 */
const viaUndici: Exchange = async (url, init) => {
  const res = await undiciRequest(url, init);
  return {
    status: res.statusCode,
    headers: res.headers,
    raw: Buffer.from(await res.body.arrayBuffer()),
  };
};

/** An injected fetch (tests and benchmarks count, delay or fail requests with it). */
function viaFetch(doFetch: typeof fetch): Exchange {
  return async (url, init) => {
    const response = await doFetch(url, init);
    return {
      status: response.status,
      headers: response.headers,
      raw: Buffer.from(await response.arrayBuffer()),
    };
  };
}

function describe(err: unknown): string {
  const e = err as {
    code?: unknown;
    cause?: { code?: string; message?: string };
    name?: string;
    message?: string;
  };
  // undici's request puts the code on the error itself, fetch on its cause;
  // a DOMException's numeric code says nothing, its name does.
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return e?.cause?.code ?? code ?? e?.cause?.message ?? e?.name ?? e?.message ?? String(err);
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
