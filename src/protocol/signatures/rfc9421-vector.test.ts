import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkContentDigest } from './content-digest.js';
import type { RequestParts } from './signature-base.js';
import { buildSignatureBase } from './signature-base.js';
import {
  createSignatureParams,
  selectSignature,
  serializeSignature,
  serializeSignatureInput,
  signSignatureBase,
  verifySignatureBase,
} from './signature-fields.js';
import { importPrivateJwk, importPublicJwk } from './signing-keys.js';

// protocol.md §1: "Must pass RFC 9421 Appendix B.2.6 (ed25519) test vector."
// Data copied from RFC 9421 (February 2024); lines the RFC wraps per RFC 8792
// are unwrapped here.

// RFC 9421 Appendix B.1.4, "Example Ed25519 Test Key", keyid test-key-ed25519.
const B14_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
`;
const B14_PRIVATE_PEM = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
`;
// The same key as the JWK that B.1.4 also gives.
const B14_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  kid: 'test-key-ed25519',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
  d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
};

// RFC 9421 Appendix B.2, the "test-request" message:
//   POST /foo?param=Value&Pet=dog HTTP/1.1
//   Host: example.com
//   Date: Tue, 20 Apr 2021 02:07:55 GMT
//   Content-Type: application/json
//   Content-Digest: sha-512=:WZDPaVn/...:
//   Content-Length: 18
//
//   {"hello": "world"}
const B2_BODY = '{"hello": "world"}';
const B2_HEADERS = {
  host: 'example.com',
  date: 'Tue, 20 Apr 2021 02:07:55 GMT',
  'content-type': 'application/json',
  'content-digest':
    'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
  'content-length': '18',
};

// RFC 9421 Appendix B.2.6, "Signing a Request Using ed25519".
const B26_SIGNATURE_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');
const B26_SIGNATURE_INPUT =
  'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_SIGNATURE =
  'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';

function b26Request(): RequestParts {
  return {
    method: 'POST',
    targetUri: 'https://example.com/foo?param=Value&Pet=dog',
    headers: {
      ...B2_HEADERS,
      'signature-input': B26_SIGNATURE_INPUT,
      signature: B26_SIGNATURE,
    },
    body: B2_BODY,
  };
}

describe('RFC 9421 Appendix B.2.6 (ed25519 signing of the B.2 test request)', () => {
  it('rebuilds the published signature base byte for byte from the received Signature-Input', () => {
    const request = b26Request();
    const selected = selectSignature(request.headers, { label: 'sig-b26' });
    expect(buildSignatureBase(selected.signatureParams, { request })).toBe(B26_SIGNATURE_BASE);
  });

  it('verifies the published signature with the B.1.4 public key, as PEM and as JWK', () => {
    const request = b26Request();
    const selected = selectSignature(request.headers, { label: 'sig-b26' });
    const base = buildSignatureBase(selected.signatureParams, { request });
    expect(verifySignatureBase(base, selected.signature, createPublicKey(B14_PUBLIC_PEM))).toBe(
      true,
    );
    expect(verifySignatureBase(base, selected.signature, importPublicJwk(B14_JWK))).toBe(true);
  });

  it('signs with the B.1.4 private key and emits the published Signature-Input and Signature', () => {
    const { headers: _ignored, ...rest } = b26Request();
    const request = { ...rest, headers: B2_HEADERS };
    const params = createSignatureParams(
      ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
      { created: 1618884473, keyid: 'test-key-ed25519' },
    );
    const base = buildSignatureBase(params, { request });
    expect(base).toBe(B26_SIGNATURE_BASE);
    expect(serializeSignatureInput('sig-b26', params)).toBe(B26_SIGNATURE_INPUT);
    // Ed25519 is deterministic, so the published value must come out again.
    const fromPem = signSignatureBase(base, createPrivateKey(B14_PRIVATE_PEM));
    const fromJwk = signSignatureBase(base, importPrivateJwk(B14_JWK));
    expect(serializeSignature('sig-b26', fromPem)).toBe(B26_SIGNATURE);
    expect(serializeSignature('sig-b26', fromJwk)).toBe(B26_SIGNATURE);
  });

  it('refuses the published signature once a covered header is changed', () => {
    const request = b26Request();
    const selected = selectSignature(request.headers, { label: 'sig-b26' });
    const tampered = { ...request, headers: { ...request.headers, 'content-length': '19' } };
    const base = buildSignatureBase(selected.signatureParams, { request: tampered });
    expect(verifySignatureBase(base, selected.signature, importPublicJwk(B14_JWK))).toBe(false);
  });

  it('accepts the B.2 sha-512 Content-Digest for the B.2 body and refuses it for another', () => {
    expect(() => checkContentDigest(B2_HEADERS['content-digest'], B2_BODY)).not.toThrow();
    expect(() => checkContentDigest(B2_HEADERS['content-digest'], '{"hello": "world!"}')).toThrow(
      /does not match/,
    );
  });
});
