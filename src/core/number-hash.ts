import { createHmac } from 'node:crypto';

/**
 * Keyed hash of a phone number (HMAC-SHA256, hex). Tables outside the
 * subscriber base and the audit trail keep numbers only in this form (R11):
 * the same number always hashes the same under one key, so records can still
 * be found by number, but the table alone does not reveal it.
 */
export type NumberHasher = (msisdn: string) => string;

export function createNumberHasher(key: string | Buffer): NumberHasher {
  if (key.length < 16) throw new Error('the number-hash key must be at least 16 bytes');
  return (msisdn) => createHmac('sha256', key).update(msisdn).digest('hex');
}
