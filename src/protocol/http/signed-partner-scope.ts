import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { KeyResolver, RequestParts, Signer } from '../signatures/index.js';
import { signResponse, verifyRequest } from '../signatures/index.js';

/** Where the nonces of verified requests are kept (a store outside the wire layer). */
export interface NonceLedger {
  /** Throws UNAUTHENTICATED when the nonce was already seen within its window. */
  rememberNonce(keyId: string, nonce: string, created: Date): Promise<void>;
}

export interface PartnerAuthDeps {
  resolveKey: KeyResolver;
  replay: NonceLedger;
  clock: Clock;
  /** This node's own key: every response is signed with it (protocol.md §1, R10). */
  signer: Signer;
  /** ± seconds around our clock within which `created` must lie (default 300). */
  maxSkewSeconds?: number;
  /**
   * The base URL partners call this listener at, when it differs from what
   * the request line shows (behind a TLS-terminating proxy). Signatures
   * cover the full target URI, so both sides must agree on it.
   */
  publicBaseUrl?: string | undefined;
  bodyLimit: number;
}

/** Who called, established by the request's signature. */
export interface PartnerIdentity {
  participantId: string;
  keyId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    partner?: PartnerIdentity;
    rawBody?: Buffer;
  }
}

/**
 * Makes every route of the Fastify scope it is applied to partner-facing:
 * the request's RFC 9421 signature and Content-Digest are verified over the
 * raw bytes before any JSON parsing, its nonce is checked against the shared
 * replay store, and every response (errors included) is signed.
 *
 * Apply it inside `app.register(async (scope) => …)` so health, metrics and
 * docs routes outside the scope stay unsigned.
 */
export function applySignedPartnerScope(scope: FastifyInstance, deps: PartnerAuthDeps): void {
  scope.addHook('onRequest', async (request) => {
    const body = await readRawBody(request, deps.bodyLimit);
    const parts = requestParts(request, body, deps.publicBaseUrl);
    const verified = verifyRequest(parts, deps.resolveKey, {
      now: deps.clock.now(),
      maxSkewSeconds: deps.maxSkewSeconds ?? 300,
    });
    await deps.replay.rememberNonce(verified.keyId, verified.nonce, verified.created);
    request.partner = { participantId: verified.participantId, keyId: verified.keyId };
    request.rawBody = body;
  });

  // The body was consumed to verify it; hand the same bytes to the parser.
  scope.addHook('preParsing', async (request, _reply, payload) => {
    if (request.rawBody === undefined) return payload;
    return Readable.from([request.rawBody]);
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const body = payloadBytes(payload);
    const headers = signResponse(
      { status: reply.statusCode, headers: reply.getHeaders() as Record<string, string>, body },
      requestParts(request, request.rawBody ?? Buffer.alloc(0), deps.publicBaseUrl),
      deps.signer,
      { created: deps.clock.now() },
    );
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    return payload;
  });
}

function requestParts(
  request: FastifyRequest,
  body: Buffer,
  publicBaseUrl: string | undefined,
): RequestParts {
  const base = publicBaseUrl ?? `${request.protocol}://${request.host}`;
  return {
    method: request.method,
    targetUri: `${base.replace(/\/$/, '')}${request.url}`,
    headers: request.headers,
    body: body.length > 0 ? body : undefined,
  };
}

async function readRawBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new IdbridgeError('PAYLOAD_TOO_LARGE', `body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new IdbridgeError('PAYLOAD_TOO_LARGE', `body over ${limit} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function payloadBytes(payload: unknown): Buffer | undefined {
  if (payload === null || payload === undefined) return undefined;
  if (Buffer.isBuffer(payload)) return payload.length > 0 ? payload : undefined;
  if (typeof payload === 'string') return payload.length > 0 ? Buffer.from(payload) : undefined;
  // Streams are never used on partner routes; refusing beats signing garbage.
  throw new IdbridgeError('INTERNAL', 'cannot sign a streamed response');
}
