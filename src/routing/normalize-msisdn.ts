import { type CountryCode, ParseError, parsePhoneNumberWithError } from 'libphonenumber-js';
import { IdbridgeError } from '../core/errors.js';

/** Already E.164 Russian mobile: every +79xxxxxxxxx is a valid number. */
const E164_RU_MOBILE = /^\+79\d{9}$/;

/** Whether a normalized number is a Russian mobile one (+7 9xx xxx-xx-xx). */
export function isRussianMobile(e164: string): boolean {
  return E164_RU_MOBILE.test(e164);
}
/** What people type: digits, one leading +, spaces, dots, dashes, parentheses. */
const TYPED_NUMBER = /^\+?[\d\s().-]+$/;

/**
 * Turns what people type into E.164 (`8 (916) 123-45-67` → `+79161234567`);
 * a number without a country code is read as Russian, so `89161234567`,
 * `79161234567` and `9161234567` all mean +7 916 123-45-67. Valid foreign
 * numbers normalize too (routing then answers NOT_RUSSIAN_NUMBER).
 *
 * Throws IdbridgeError INVALID_ARGUMENT for anything that is not a valid
 * phone number: empty, letters (no vanity numbers, no extensions), too short
 * or too long, or a number that fits no numbering plan. Messages never echo
 * the input (R11). Pure and reentrant.
 */
export function normalizeMsisdn(input: string, defaultCountry: CountryCode = 'RU'): string {
  const text = input.trim();
  if (E164_RU_MOBILE.test(text)) return text;
  if (text === '') throw invalid('the phone number is empty');
  if (!TYPED_NUMBER.test(text)) {
    throw invalid(
      'a phone number may hold only digits, a leading +, spaces, dots, dashes and parentheses',
    );
  }
  const digits = text.replace(/\D/g, '');
  if (digits.length < 7) throw invalid('the phone number is too short');
  if (digits.length > 15) throw invalid('the phone number is too long (E.164 allows 15 digits)');
  let parsed: ReturnType<typeof parsePhoneNumberWithError>;
  try {
    parsed = parsePhoneNumberWithError(text, { defaultCountry, extract: false });
  } catch (err) {
    const reason = err instanceof ParseError ? err.message : 'unparseable';
    throw invalid(`not a phone number (${reason})`);
  }
  if (!parsed.isValid()) {
    throw invalid('not a valid phone number: no numbering plan has this number');
  }
  return parsed.number;
}

function invalid(message: string): IdbridgeError {
  return new IdbridgeError('INVALID_ARGUMENT', message, { causeCode: 'INVALID_NUMBER' });
}
