/**
 * Numbers are E.164 text at every edge (protocol.md §1, "+79161234567") and a
 * bigint of the digits in the subscriber tables (see migration 0001). These
 * two functions are the only place the two forms meet.
 */

// A simple E.164 check: optional plus, a non-zero first digit, 8–15 digits in
// all. Deliberately no numbering-plan lookup: the bulk import runs this on
// every one of millions of rows, and the BSS already holds only real numbers.
const E164_DIGITS = /^\+?([1-9][0-9]{7,14})$/;

/** The digits of an E.164 number (plus sign optional), or null when it is not one. */
export function msisdnToKey(msisdn: string): string | null {
  const match = E164_DIGITS.exec(msisdn);
  return match ? (match[1] as string) : null;
}

// A Russian operator's subscriber is +7 9xx xxx-xx-xx: eleven digits in all.
const RUSSIAN_MOBILE_KEY = /^79[0-9]{9}$/;

/** Whether a key (digits, no plus) can be a Russian mobile number. */
export function isRussianMobileKey(key: string): boolean {
  return RUSSIAN_MOBILE_KEY.test(key);
}

/** The E.164 text of a stored key (pg returns bigint as a string). */
export function keyToMsisdn(key: string | number | bigint): string {
  return `+${String(key)}`;
}
