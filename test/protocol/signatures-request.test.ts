import { describe, expect, it } from 'vitest';
import {
  computeContentDigest,
  createSigner,
  generateSigningKeyPair,
  newSignatureNonce,
  type RequestParts,
  signRequest,
} from '../../src/protocol/signatures/index.js';
import {
  BODY,
  CREATED,
  customSigned,
  intruderSigner,
  NOW,
  rejectionOf,
  signedRequest,
  tamtamSigner,
  URI,
  verifyAt,
} from './signatures-fixtures.js';

// protocol.md §1: signed requests, and every way a request is refused
// (always UNAUTHENTICATED).

describe('request signatures: round trip', () => {
  it('verifies a signed POST and returns signer, created and nonce for the replay check', () => {
    const request = signedRequest();
    expect(request.headers).toMatchObject({
      'content-digest': computeContentDigest(BODY),
      'signature-input': `sig1=("@method" "@target-uri" "content-digest" "content-type");created=${CREATED};keyid="tamtam-1";nonce="n-0001";tag="idbridge-v1"`,
    });
    const verified = verifyAt(request);
    expect(verified).toMatchObject({
      label: 'sig1',
      keyId: 'tamtam-1',
      participantId: 'tamtam',
      created: NOW,
      nonce: 'n-0001',
      coveredComponents: ['"@method"', '"@target-uri"', '"content-digest"', '"content-type"'],
    });
    expect(verified.evidence.signatureBase).toBe(
      [
        '"@method": POST',
        `"@target-uri": ${URI}`,
        `"content-digest": ${computeContentDigest(BODY)}`,
        '"content-type": application/json',
        `"@signature-params": ${verified.evidence.signatureInput.slice('sig1='.length)}`,
      ].join('\n'),
    );
  });

  it('signs a bodiless GET over method and target URI only, with a random nonce', () => {
    const request: RequestParts = {
      method: 'GET',
      targetUri: `${URI}/01937a2c-7c1e-7000-8000-000000000001`,
      headers: {},
    };
    const a = signRequest(request, tamtamSigner, { created: NOW });
    const b = signRequest(request, tamtamSigner, { created: NOW });
    expect(a['content-digest']).toBeUndefined();
    expect(a['signature-input']).toMatch(
      /^sig1=\("@method" "@target-uri"\);created=\d+;keyid="tamtam-1";nonce="[A-Za-z0-9_-]{22}";tag="idbridge-v1"$/,
    );
    expect(a['signature-input']).not.toBe(b['signature-input']);
    const verified = verifyAt({ ...request, headers: { ...a } });
    expect(verified.coveredComponents).toEqual(['"@method"', '"@target-uri"']);
  });

  it('draws a fresh 128-bit nonce for every request, across refills of the random pool', () => {
    // 600 nonces of 16 bytes: more than two refills of the 4 KiB pool.
    const nonces = Array.from({ length: 600 }, () => newSignatureNonce());
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
    }
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('refuses to sign a body that has no content-type, as a local fault', () => {
    const request: RequestParts = { method: 'POST', targetUri: URI, headers: {}, body: BODY };
    expect(() => signRequest(request, tamtamSigner, { created: NOW })).toThrow(
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/content-type/) }),
    );
  });

  it('reads Node-style array headers and fetch Headers alike', () => {
    const request = signedRequest();
    const nodeStyle = { ...request.headers, 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'] };
    expect(verifyAt({ ...request, headers: nodeStyle }).participantId).toBe('tamtam');
    const fetchHeaders = new Headers(request.headers as Record<string, string>);
    expect(verifyAt({ ...request, headers: fetchHeaders }).participantId).toBe('tamtam');
    expect(verifyAt({ ...request, body: Buffer.from(BODY) }).participantId).toBe('tamtam');
  });

  it('accepts created at exactly the edge of the window, either way', () => {
    const request = signedRequest();
    expect(verifyAt(request, new Date(NOW.getTime() + 300_000)).keyId).toBe('tamtam-1');
    expect(verifyAt(request, new Date(NOW.getTime() - 300_000)).keyId).toBe('tamtam-1');
  });

  it('re-verifies stored evidence later when freshness is waived', () => {
    const { evidence } = verifyAt(signedRequest());
    const stored: RequestParts = {
      method: 'POST',
      targetUri: URI,
      headers: {
        'content-type': 'application/json',
        'content-digest': evidence.contentDigest as string,
        'signature-input': evidence.signatureInput,
        signature: evidence.signature,
      },
      body: BODY,
    };
    const aYearLater = new Date(NOW.getTime() + 365 * 86_400_000);
    expect(rejectionOf(() => verifyAt(stored, aYearLater))).toMatch(/expired/);
    expect(verifyAt(stored, aYearLater, Number.POSITIVE_INFINITY).participantId).toBe('tamtam');
  });
});

describe('request signatures: tampering and policy, each refused as UNAUTHENTICATED', () => {
  it('refuses a changed body whose digest no longer matches', () => {
    const request = signedRequest();
    const tampered = { ...request, body: BODY.replace('+79161234567', '+79161234568') };
    expect(rejectionOf(() => verifyAt(tampered))).toMatch(/Content-Digest sha-256 does not match/);
  });

  it('refuses a changed body sent with a recomputed digest', () => {
    const request = signedRequest();
    const body = BODY.replace('+79161234567', '+79161234568');
    const tampered = {
      ...request,
      body,
      headers: { ...request.headers, 'content-digest': computeContentDigest(body) },
    };
    expect(rejectionOf(() => verifyAt(tampered))).toMatch(/signature does not verify/);
  });

  it('refuses a changed method, path, query or content type', () => {
    const request = signedRequest();
    expect(rejectionOf(() => verifyAt({ ...request, method: 'PUT' }))).toMatch(/does not verify/);
    expect(rejectionOf(() => verifyAt({ ...request, targetUri: `${URI}/batch` }))).toMatch(
      /does not verify/,
    );
    expect(rejectionOf(() => verifyAt({ ...request, targetUri: `${URI}?dryRun=1` }))).toMatch(
      /does not verify/,
    );
    const headers = { ...request.headers, 'content-type': 'text/plain' };
    expect(rejectionOf(() => verifyAt({ ...request, headers }))).toMatch(/does not verify/);
  });

  it('refuses a signature that does not cover content-digest or content-type when there is a body', () => {
    const noDigest = customSigned(['@method', '@target-uri', 'content-type']);
    expect(rejectionOf(() => verifyAt(noDigest))).toMatch(/does not cover "content-digest"/);
    const noType = customSigned(['@method', '@target-uri', 'content-digest']);
    expect(rejectionOf(() => verifyAt(noType))).toMatch(/does not cover "content-type"/);
    const noUri = customSigned(['@method', '@path', 'content-digest', 'content-type']);
    expect(rejectionOf(() => verifyAt(noUri))).toMatch(/does not cover "@target-uri"/);
  });

  it('refuses a message from which a covered header was removed', () => {
    const request = signedRequest();
    const { 'content-type': _t, ...withoutType } = request.headers as Record<string, string>;
    expect(rejectionOf(() => verifyAt({ ...request, headers: withoutType }))).toMatch(
      /covered header "content-type" is absent/,
    );
    const { 'content-digest': _d, ...withoutDigest } = request.headers as Record<string, string>;
    expect(rejectionOf(() => verifyAt({ ...request, headers: withoutDigest }))).toMatch(
      /Content-Digest header is missing/,
    );
  });

  it('refuses a signature made by another key under the same keyid', () => {
    const forged = signedRequest({}, intruderSigner);
    expect(rejectionOf(() => verifyAt(forged))).toMatch(/does not verify with key "tamtam-1"/);
  });

  it('refuses an unknown keyid', () => {
    const stranger = createSigner(generateSigningKeyPair('stranger-1').privateJwk);
    expect(rejectionOf(() => verifyAt(signedRequest({}, stranger)))).toMatch(
      /unknown keyid "stranger-1"/,
    );
  });

  it('refuses created outside the ±300 s window: expired and from the future', () => {
    const request = signedRequest();
    expect(rejectionOf(() => verifyAt(request, new Date(NOW.getTime() + 301_000)))).toMatch(
      /more than 300 s old \(expired\)/,
    );
    expect(rejectionOf(() => verifyAt(request, new Date(NOW.getTime() - 301_000)))).toMatch(
      /more than 300 s in the future/,
    );
    expect(rejectionOf(() => verifyAt(request, new Date(NOW.getTime() + 61_000), 60))).toMatch(
      /more than 60 s old/,
    );
  });

  it('refuses a past expires parameter even inside the created window', () => {
    const request = customSigned(['@method', '@target-uri', 'content-digest', 'content-type'], {
      expires: CREATED + 10,
    });
    expect(verifyAt(request).keyId).toBe('tamtam-1');
    expect(rejectionOf(() => verifyAt(request, new Date(NOW.getTime() + 11_000)))).toMatch(
      /signature expired/,
    );
  });

  it('refuses a request signature without a nonce', () => {
    const request = customSigned(['@method', '@target-uri', 'content-digest', 'content-type'], {
      nonce: undefined,
    });
    expect(rejectionOf(() => verifyAt(request))).toMatch(/nonce parameter is missing/);
  });

  it('refuses a signature with another tag, or none', () => {
    const request: RequestParts = {
      method: 'POST',
      targetUri: URI,
      headers: { 'content-type': 'application/json' },
      body: BODY,
    };
    const sig = signRequest(request, tamtamSigner, { created: NOW, tag: 'other-app' });
    const wrongTag = { ...request, headers: { ...request.headers, ...sig } };
    expect(rejectionOf(() => verifyAt(wrongTag))).toMatch(/no signature with tag "idbridge-v1"/);
    const untagged = customSigned(['@method', '@target-uri', 'content-digest', 'content-type'], {
      tag: undefined,
    });
    expect(rejectionOf(() => verifyAt(untagged))).toMatch(/no signature with tag/);
  });

  it('refuses an alg other than ed25519 and accepts an explicit ed25519', () => {
    const all = ['@method', '@target-uri', 'content-digest', 'content-type'];
    expect(verifyAt(customSigned(all, { alg: 'ed25519' })).keyId).toBe('tamtam-1');
    const rsa = customSigned(all, { alg: 'rsa-pss-sha512' as 'ed25519' });
    expect(rejectionOf(() => verifyAt(rsa))).toMatch(/alg "rsa-pss-sha512" is not accepted/);
  });

  it('refuses missing, malformed or mismatched Signature and Signature-Input fields', () => {
    const request = signedRequest();
    const h = request.headers as Record<string, string>;
    const { signature: _s, ...noSignature } = h;
    expect(rejectionOf(() => verifyAt({ ...request, headers: noSignature }))).toMatch(
      /Signature header is missing/,
    );
    const { 'signature-input': _i, ...noInput } = h;
    expect(rejectionOf(() => verifyAt({ ...request, headers: noInput }))).toMatch(
      /Signature-Input header is missing/,
    );
    const malformed = { ...h, 'signature-input': 'sig1=("@method" "@target-uri"' };
    expect(rejectionOf(() => verifyAt({ ...request, headers: malformed }))).toMatch(
      /Signature-Input header is not a valid structured dictionary/,
    );
    const notBytes = { ...h, signature: 'sig1="abc"' };
    expect(rejectionOf(() => verifyAt({ ...request, headers: notBytes }))).toMatch(
      /no byte-sequence value for label "sig1"/,
    );
    const otherLabel = { ...h, signature: h.signature?.replace(/^sig1=/, 'sig2=') as string };
    expect(rejectionOf(() => verifyAt({ ...request, headers: otherLabel }))).toMatch(
      /no byte-sequence value for label "sig1"/,
    );
    const short = { ...h, signature: 'sig1=:AAAA:' };
    expect(rejectionOf(() => verifyAt({ ...request, headers: short }))).toMatch(/does not verify/);
  });

  it('refuses a covered component listed twice or with an unsupported parameter', () => {
    const base = customSigned(['@method', '@target-uri', 'content-digest', 'content-type']);
    const input = (base.headers as Record<string, string>)['signature-input'] as string;
    const twice = {
      ...base.headers,
      'signature-input': input.replace('("@method"', '("@method" "@method"'),
    };
    expect(rejectionOf(() => verifyAt({ ...base, headers: twice }))).toMatch(/listed twice/);
    const sf = {
      ...base.headers,
      'signature-input': input.replace(');created', ' "content-type";sf);created'),
    };
    expect(rejectionOf(() => verifyAt({ ...base, headers: sf }))).toMatch(
      /unsupported parameter "sf"/,
    );
    const req = {
      ...base.headers,
      'signature-input': input.replace(');created', ' "@method";req);created'),
    };
    expect(rejectionOf(() => verifyAt({ ...base, headers: req }))).toMatch(
      /only meaningful on a response/,
    );
  });
});
