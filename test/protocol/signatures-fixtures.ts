import { expect } from 'vitest';
import { IdbridgeError } from '../../src/core/errors.js';
import {
  computeContentDigest,
  createKeyResolver,
  createMessageSignature,
  createSigner,
  generateSigningKeyPair,
  type RequestParts,
  type ResponseParts,
  type SignatureParams,
  signRequest,
  signResponse,
  verifyRequest,
} from '../../src/protocol/signatures/index.js';

// Shared set-up for the signature tests: TamTam (messenger) signs requests
// to MTS (operator), which signs its answers. protocol.md §1.

export const NOW = new Date('2026-11-28T10:00:00Z');
export const CREATED = Math.floor(NOW.getTime() / 1000);

export const tamtam = generateSigningKeyPair('tamtam-1');
export const mts = generateSigningKeyPair('mts-1');
export const intruder = generateSigningKeyPair('tamtam-1'); // same kid, other key
export const tamtamSigner = createSigner(tamtam.privateJwk);
export const mtsSigner = createSigner(mts.privateJwk);
export const intruderSigner = createSigner(intruder.privateJwk);
export const resolveKey = createKeyResolver([
  { id: 'tamtam', keys: [tamtam.publicJwk] },
  { id: 'mts', keys: [mts.publicJwk] },
]);

export const BODY = JSON.stringify({
  requestId: '01937a2c-7c1e-7000-8000-000000000001',
  msisdn: '+79161234567',
  identificationCode: 'Zk3q9L_xw2-Pq8HvT0aYb1cD4eF5gH6i',
  purpose: 'registration',
  possessionVerifiedAt: '2026-11-28T09:59:00Z',
});
export const URI = 'https://mts.example/v1/identifications';

/** The request as TamTam sends it, signed; what MTS receives is the same bytes. */
export function signedRequest(
  overrides: Partial<RequestParts> = {},
  signer = tamtamSigner,
): RequestParts {
  const request: RequestParts = {
    method: 'POST',
    targetUri: URI,
    headers: { 'content-type': 'application/json', 'x-correlator': 'abc-1' },
    body: BODY,
    ...overrides,
  };
  const sig = signRequest(request, signer, { created: NOW, nonce: 'n-0001' });
  return { ...request, headers: { ...request.headers, ...sig } };
}

export const RESPONSE_BODY = JSON.stringify({
  requestId: '01937a2c-7c1e-7000-8000-000000000001',
  result: 'confirmed',
  confirmedAt: '2026-11-28T10:00:01Z',
});

export function signedResponse(
  request: RequestParts,
  overrides: Partial<ResponseParts> = {},
): ResponseParts {
  const response: ResponseParts = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: RESPONSE_BODY,
    ...overrides,
  };
  const sig = signResponse(response, request, mtsSigner, { created: NOW });
  return { ...response, headers: { ...response.headers, ...sig } };
}

export function rejectionOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IdbridgeError);
    expect((err as IdbridgeError).code).toBe('UNAUTHENTICATED');
    expect((err as IdbridgeError).status).toBe(401);
    return (err as Error).message;
  }
  throw new Error('expected the message to be refused, but it was accepted');
}

export const verifyAt = (request: RequestParts, now = NOW, maxSkewSeconds?: number) =>
  verifyRequest(
    request,
    resolveKey,
    maxSkewSeconds === undefined ? { now } : { now, maxSkewSeconds },
  );

/** Re-signs `request` with hand-picked components and params (for coverage tests). */
export function customSigned(
  components: Parameters<typeof createMessageSignature>[2],
  params: Partial<SignatureParams> = {},
  extraHeaders: Record<string, string> = {},
): RequestParts {
  const headers = {
    'content-type': 'application/json',
    'content-digest': computeContentDigest(BODY),
    ...extraHeaders,
  };
  const request: RequestParts = { method: 'POST', targetUri: URI, headers, body: BODY };
  const { signatureInput, signature } = createMessageSignature(
    { request },
    'sig1',
    components,
    { created: CREATED, keyid: 'tamtam-1', nonce: 'n-1', tag: 'idbridge-v1', ...params },
    tamtamSigner.privateKey,
  );
  return { ...request, headers: { ...headers, 'signature-input': signatureInput, signature } };
}

export function pick(headers: RequestParts['headers'], ...names: string[]): Record<string, string> {
  const h = headers as Record<string, string>;
  return Object.fromEntries(names.map((n) => [n, h[n] as string]));
}
