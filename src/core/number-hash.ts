import { createHmac, createSecretKey } from 'node:crypto';

/**
 * Keyed hash of a phone number (HMAC-SHA256, hex). Tables outside the
 * subscriber base and the audit trail keep numbers only in this form (R11):
 * the same number always hashes the same under one key, so records can still
 * be found by number, but the table alone does not reveal it.
 */
export type NumberHasher = (msisdn: string) => string;

export function createNumberHasher(key: string | Buffer): NumberHasher {
  if (key.length < 16) throw new Error('the number-hash key must be at least 16 bytes');
  // Imported once: given the raw key, createHmac imports it again on every
  // call, a third of the hash's cost (a legacy batch hashes 10,000 numbers).
  // A string key is its UTF-8 bytes, as createHmac takes it.
  const secret = createSecretKey(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
  return (msisdn) => createHmac('sha256', secret).update(msisdn).digest('hex');
}
