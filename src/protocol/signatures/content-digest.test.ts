import { describe, expect, it } from 'vitest';
import { checkContentDigest, computeContentDigest } from './content-digest.js';

const BODY = '{"hello": "world"}';
// sha-256 of BODY, base64 (the value RFC 9530 and the RFC 9421 drafts show for it).
const BODY_SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';

function rejection(header: string | undefined, body: string | Buffer | undefined): string {
  try {
    checkContentDigest(header, body);
  } catch (err) {
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    return (err as Error).message;
  }
  return 'accepted';
}

describe('Content-Digest (RFC 9530)', () => {
  it('computes sha-256 over the raw bytes, the same for a string and its UTF-8 buffer', () => {
    expect(computeContentDigest(BODY)).toBe(BODY_SHA256);
    expect(computeContentDigest(Buffer.from(BODY, 'utf8'))).toBe(BODY_SHA256);
    expect(computeContentDigest('')).toBe('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:');
  });

  it('accepts a matching digest', () => {
    expect(rejection(BODY_SHA256, Buffer.from(BODY))).toBe('accepted');
    expect(rejection(computeContentDigest(BODY, 'sha-512'), BODY)).toBe('accepted');
  });

  it('refuses a missing, malformed, mismatched or unsupported digest with UNAUTHENTICATED', () => {
    expect(rejection(undefined, BODY)).toMatch(/missing/);
    expect(rejection('', BODY)).toMatch(/missing/);
    expect(rejection('sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=', BODY)).toMatch(
      /not a valid structured dictionary/,
    );
    expect(rejection('sha-256="abc"', BODY)).toMatch(/not a byte sequence/);
    expect(rejection(BODY_SHA256, `${BODY} `)).toMatch(/does not match/);
    expect(rejection('md5=:CY9rzUYh03PK3k6DJie09g==:', BODY)).toMatch(/"md5" is not supported/);
  });

  it('refuses a header whose every entry must match when one of two does not', () => {
    const wrong512 = computeContentDigest('other', 'sha-512');
    expect(rejection(`${BODY_SHA256}, ${wrong512}`, BODY)).toMatch(/sha-512 does not match/);
  });
});
