import { maskPhoneNumbers } from '../core/mask-phone-numbers.js';

/**
 * A number as console pages show it: `+7916*****67` (R11: pages
 * never show a full number, except the sandbox's SMS inbox). Accepts E.164
 * with or without `+` (the operator tables' bigint key).
 */
export function maskMsisdn(number: string): string {
  const e164 = number.startsWith('+') ? number : `+${number}`;
  const masked = maskPhoneNumbers(e164);
  // Anything the pattern does not recognise is hidden whole rather than shown.
  return masked === e164
    ? `${e164.slice(0, 3)}${'*'.repeat(Math.max(e164.length - 3, 0))}`
    : masked;
}
