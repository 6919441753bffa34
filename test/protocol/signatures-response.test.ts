import { describe, expect, it } from 'vitest';
import {
  computeContentDigest,
  createKeyResolver,
  createMessageSignature,
  type RequestParts,
  type ResponseParts,
  verifyResponse,
} from '../../src/protocol/signatures/index.js';
import {
  BODY,
  CREATED,
  mtsSigner,
  NOW,
  pick,
  RESPONSE_BODY,
  rejectionOf,
  resolveKey,
  signedRequest,
  signedResponse,
  tamtam,
  URI,
} from './signatures-fixtures.js';

// protocol.md §1, R10: a signed answer is evidence bound to the request it
// answers; every failure is UNAUTHENTICATED.

describe('response signatures (R10: a signed decision bound to its request)', () => {
  const verifyResp = (response: ResponseParts, request: RequestParts, now = NOW) =>
    verifyResponse(response, request, resolveKey, { now });

  it('verifies a signed 200 against the request it answers and keeps the evidence', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    expect((response.headers as Record<string, string>)['signature-input']).toBe(
      `sig1=("@status" "content-digest" "@method";req "@target-uri";req "content-digest";req);created=${CREATED};keyid="mts-1";tag="idbridge-v1"`,
    );
    const verified = verifyResp(response, request);
    expect(verified).toMatchObject({ participantId: 'mts', keyId: 'mts-1', nonce: undefined });
    expect(verified.evidence.contentDigest).toBe(computeContentDigest(RESPONSE_BODY));
    expect(verified.evidence.signatureBase).toContain(
      `"content-digest";req: ${computeContentDigest(BODY)}`,
    );
  });

  it('verifies against the request as first built, before its Content-Digest was added', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    const asBuilt = { ...request, headers: { 'content-type': 'application/json' } };
    expect(verifyResp(response, asBuilt).participantId).toBe('mts');
  });

  it('signs a bodiless 204 over status and the request', () => {
    const request = signedRequest({
      method: 'DELETE',
      targetUri: `${URI}/x`,
      body: undefined,
      headers: {},
    });
    const response = signedResponse(request, { status: 204, body: undefined, headers: {} });
    const verified = verifyResp(response, request);
    expect(verified.coveredComponents).toEqual(['"@status"', '"@method";req', '"@target-uri";req']);
  });

  it('refuses a changed status', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    expect(rejectionOf(() => verifyResp({ ...response, status: 202 }, request))).toMatch(
      /does not verify/,
    );
  });

  it('refuses a changed response body, with or without a recomputed digest', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    const body = RESPONSE_BODY.replace('confirmed', 'not_confirmed');
    expect(rejectionOf(() => verifyResp({ ...response, body }, request))).toMatch(/does not match/);
    const headers = { ...response.headers, 'content-digest': computeContentDigest(body) };
    expect(rejectionOf(() => verifyResp({ ...response, body, headers }, request))).toMatch(
      /does not verify/,
    );
  });

  it('refuses a response replayed against another request (other body or other URI)', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    const body = BODY.replace('0001', '0002');
    const otherBody = {
      ...request,
      body,
      headers: { ...request.headers, 'content-digest': computeContentDigest(body) },
    };
    expect(rejectionOf(() => verifyResp(response, otherBody))).toMatch(/does not verify/);
    // A request whose Content-Digest does not match its own body proves nothing.
    const inconsistent = { ...request, body };
    expect(rejectionOf(() => verifyResp(response, inconsistent))).toMatch(/does not match/);
    const otherUri = { ...request, targetUri: 'https://beeline.example/v1/identifications' };
    expect(rejectionOf(() => verifyResp(response, otherUri))).toMatch(/does not verify/);
    const otherMethod = { ...request, method: 'PUT' };
    expect(rejectionOf(() => verifyResp(response, otherMethod))).toMatch(/does not verify/);
  });

  it('refuses a response signature that leaves out the request binding or the status', () => {
    const request = signedRequest();
    const headers = {
      'content-type': 'application/json',
      'content-digest': computeContentDigest(RESPONSE_BODY),
    };
    const response: ResponseParts = { status: 200, headers, body: RESPONSE_BODY };
    const sign = (components: Parameters<typeof createMessageSignature>[2]) => {
      const s = createMessageSignature(
        { request, response },
        'sig1',
        components,
        { created: CREATED, keyid: 'mts-1', tag: 'idbridge-v1' },
        mtsSigner.privateKey,
      );
      return {
        ...response,
        headers: { ...headers, 'signature-input': s.signatureInput, signature: s.signature },
      };
    };
    const unbound = sign(['@status', 'content-digest']);
    expect(rejectionOf(() => verifyResp(unbound, request))).toMatch(/does not cover "@method";req/);
    const noReqDigest = sign([
      '@status',
      'content-digest',
      { name: '@method', req: true },
      { name: '@target-uri', req: true },
    ]);
    expect(rejectionOf(() => verifyResp(noReqDigest, request))).toMatch(
      /does not cover "content-digest";req/,
    );
    // A request's own signature copied onto a response does not pass as one.
    const copied = {
      ...response,
      headers: { ...headers, ...pick(request.headers, 'signature-input', 'signature') },
    };
    expect(rejectionOf(() => verifyResp(copied, request))).toMatch(/does not cover "@status"/);
  });

  it('refuses a response signed by a key that is not in the directory, and an expired one', () => {
    const request = signedRequest();
    const response = signedResponse(request);
    const onlyTamtam = createKeyResolver([{ id: 'tamtam', keys: [tamtam.publicJwk] }]);
    expect(rejectionOf(() => verifyResponse(response, request, onlyTamtam, { now: NOW }))).toMatch(
      /unknown keyid "mts-1"/,
    );
    expect(
      rejectionOf(() => verifyResp(response, request, new Date(NOW.getTime() + 301_000))),
    ).toMatch(/expired/);
  });
});
