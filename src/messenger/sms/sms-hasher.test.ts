import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSmsHasher } from './sms-hasher.js';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

describe('SMS hasher (R11)', () => {
  it('matches a code only against the challenge it was hashed for', () => {
    const hasher = createSmsHasher(SECRET);
    const stored = hasher.hashCode('challenge-1', '123456');
    expect(hasher.codeMatches(stored, 'challenge-1', '123456')).toBe(true);
    expect(hasher.codeMatches(stored, 'challenge-1', '123457')).toBe(false);
    expect(hasher.codeMatches(stored, 'challenge-2', '123456')).toBe(false);
    expect(hasher.codeMatches('not-hex', 'challenge-1', '123456')).toBe(false);
  });

  it('depends on the secret, so an unkeyed hash of the number does not reveal it', () => {
    const a = createSmsHasher(SECRET).hashMsisdn('+79161234567');
    const b = createSmsHasher(`${SECRET}x`).hashMsisdn('+79161234567');
    expect(a).not.toBe(b);
    expect(a).not.toBe(createHash('sha256').update('+79161234567').digest('hex'));
  });

  it('refuses a short secret', () => {
    expect(() => createSmsHasher('short')).toThrow(/at least 32 bytes/);
  });
});
