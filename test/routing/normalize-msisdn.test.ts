import { describe, expect, it } from 'vitest';
import { normalizeMsisdn } from '../../src/routing/normalize-msisdn.js';

describe('normalizeMsisdn', () => {
  it.each([
    ['8 (916) 123-45-67', '+79161234567'],
    ['+7 916 1234567', '+79161234567'],
    ['+7 (916) 123-45-67', '+79161234567'],
    ['79161234567', '+79161234567'],
    ['89161234567', '+79161234567'],
    ['9161234567', '+79161234567'],
    ['  +79161234567  ', '+79161234567'],
    ['8.916.123.45.67', '+79161234567'],
    ['+79161234567', '+79161234567'],
    ['8 495 123-45-67', '+74951234567'], // landline: a valid number, routing says NOT_MOBILE_RANGE
    ['+44 20 7946 0958', '+442079460958'], // foreign: valid, routing says NOT_RUSSIAN_NUMBER
    ['+7 701 234 56 78', '+77012345678'], // Kazakhstan shares +7
  ])('normalizes %j to %s', (input, expected) => {
    expect(normalizeMsisdn(input)).toBe(expected);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['8-800-FLOWERS', /only digits/],
    ['+7 916 123 45 67 ext 5', /only digits/],
    ['tel:+79161234567', /only digits/],
    ['12345', /too short/],
    ['+7 916 123', /not a valid phone number|too short/],
    ['+7916123456789012', /too long/],
    ['+7 000 123-45-67', /not a valid phone number/],
    ['7+9161234567', /only digits|not a/],
    ['()', /too short/],
  ])('rejects %j with INVALID_ARGUMENT', (input, message) => {
    expect(() => normalizeMsisdn(input)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('never echoes the input in its error message (R11)', () => {
    try {
      normalizeMsisdn('+7 000 123-45-67');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('123');
    }
  });
});
