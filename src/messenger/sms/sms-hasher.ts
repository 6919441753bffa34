import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Keyed hashes for the SMS tables (R11). Numbers are hashed so the tables
 * can be keyed on them without holding them; codes are hashed bound to their
 * challenge id, so one precomputed table of all codes fits no other row.
 * Without the secret, a copy of the database yields neither.
 */
export interface SmsHasher {
  hashMsisdn(msisdn: string): string;
  hashCode(challengeId: string, code: string): string;
  /** Constant-time comparison of a stored code hash with a candidate code. */
  codeMatches(storedHash: string, challengeId: string, code: string): boolean;
}

export const MIN_SMS_SECRET_BYTES = 32;

export function createSmsHasher(secret: string | Uint8Array): SmsHasher {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length < MIN_SMS_SECRET_BYTES) {
    throw new Error(`the SMS secret must be at least ${MIN_SMS_SECRET_BYTES} bytes`);
  }
  // Domain separation: the same key never hashes a number and a code alike.
  const mac = (domain: string, ...parts: string[]) =>
    createHmac('sha256', key)
      .update([domain, ...parts].join('\0'))
      .digest();

  const hashCode = (challengeId: string, code: string) =>
    mac('idbridge-sms-code', challengeId, code).toString('hex');

  return {
    hashMsisdn: (msisdn) => mac('idbridge-sms-msisdn', msisdn).toString('hex'),
    hashCode,
    codeMatches(storedHash, challengeId, code) {
      const stored = Buffer.from(storedHash, 'hex');
      const candidate = Buffer.from(hashCode(challengeId, code), 'hex');
      return stored.length === candidate.length && timingSafeEqual(stored, candidate);
    },
  };
}
