import { isIdbridgeError } from '../../core/errors.js';
import { isRussianMobile, normalizeMsisdn } from '../../routing/index.js';

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

/**
 * A subscriber's number from a BSS (file or event), by the one number rule
 * every input follows (routing's normalizeMsisdn, the app API's rule too),
 * then as this node's base holds it: a Russian mobile number, as its key.
 * `+79161234567` takes normalizeMsisdn's fast path, so a bulk import pays
 * nothing for the check.
 */
export function subscriberNumberKey(
  input: string,
): { ok: true; key: string } | { ok: false; reason: string } {
  let e164: string;
  try {
    e164 = normalizeMsisdn(input);
  } catch (err) {
    if (!isIdbridgeError(err)) throw err;
    return { ok: false, reason: `msisdn: ${err.message}` };
  }
  // A valid number that no Russian mobile contract can hold would sit in the base and match nothing.
  if (!isRussianMobile(e164)) {
    return {
      ok: false,
      reason: 'msisdn is not a Russian mobile number (+79 and nine more digits)',
    };
  }
  return { ok: true, key: e164.slice(1) };
}

/** The E.164 text of a stored key (pg returns bigint as a string). */
export function keyToMsisdn(key: string | number | bigint): string {
  return `+${String(key)}`;
}
