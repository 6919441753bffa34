import { describe, expect, it } from 'vitest';
import {
  checkSubscriberFields,
  csvLine,
  parseCsvRecord,
  subscriberColumns,
} from './parse-subscriber-record.js';

const valid = {
  msisdn: '+79161234567',
  contractId: 'c-1',
  subscriberType: 'individual',
  hasSubscriberData: 'true',
  contractStart: '2020-01-01',
};

describe('subscriber file records', () => {
  it('reads a number as the app API does: typed forms normalize to the same key', () => {
    for (const msisdn of ['+79161234567', '89161234567', '8 (916) 123-45-67', '+7 916 123 45 67']) {
      const parsed = checkSubscriberFields({ ...valid, msisdn });
      expect(parsed.ok && parsed.record.msisdnKey, msisdn).toBe('79161234567');
    }
  });

  it('normalizes numbers to digits and plain dates to midnight UTC', () => {
    expect(checkSubscriberFields({ ...valid, msisdn: '79161234567' })).toEqual({
      ok: true,
      record: {
        msisdnKey: '79161234567',
        contractId: 'c-1',
        subscriberType: 'individual',
        hasSubscriberData: true,
        contractStart: '2020-01-01T00:00:00Z',
        contractEnd: null,
      },
    });
  });

  it.each([
    [{ msisdn: '+7916' }, 'msisdn: the phone number is too short'],
    [{ msisdn: '+09161234567' }, expect.stringMatching(/^msisdn: not a/)],
    [{ msisdn: '+7916555000' }, expect.stringMatching(/^msisdn: not a valid phone number/)],
    [{ msisdn: 'call me' }, expect.stringMatching(/^msisdn: a phone number may hold only digits/)],
    [
      { msisdn: '+74951234567' },
      'msisdn is not a Russian mobile number (+79 and nine more digits)',
    ],
    [{ msisdn: undefined }, 'missing msisdn'],
    [{ contractStart: '2020-13-01' }, 'contractStart is not a date or date-time with offset'],
    [
      { contractStart: '2020-01-01T10:00:00' },
      'contractStart is not a date or date-time with offset',
    ],
    [{ contractStart: '2021-02-29' }, 'contractStart is not a date or date-time with offset'],
    [{ contractEnd: 'soon' }, 'contractEnd is not a date or date-time with offset'],
    [{ contractEnd: '2019-12-31T23:59:59Z' }, 'contractEnd is before contractStart'],
    [{ subscriberType: 'company' }, 'subscriberType is not individual or corporate'],
    [{ subscriberType: '' }, 'missing subscriberType'],
    [{ hasSubscriberData: 'yes' }, 'hasSubscriberData is not true or false'],
    [{ contractId: 'x'.repeat(129) }, 'contractId is longer than 128 characters'],
  ])('refuses %j: %s', (change, reason) => {
    expect(checkSubscriberFields({ ...valid, ...change })).toEqual({ ok: false, reason });
  });

  it('accepts date-times with offsets and leap days', () => {
    const parsed = checkSubscriberFields({
      ...valid,
      contractStart: '2020-02-29T10:00:00.5+03:00',
      contractEnd: '2020-03-01 00:00:00Z',
    });
    expect(parsed.ok && [parsed.record.contractStart, parsed.record.contractEnd]).toEqual([
      '2020-02-29T10:00:00.5+03:00',
      '2020-03-01 00:00:00Z',
    ]);
  });

  it('reads columns by header name, in any order', () => {
    const columns = subscriberColumns(
      'contractId,msisdn,hasSubscriberData,subscriberType,contractStart,contractEnd'.split(','),
    );
    const values = ['a,"b"', '+79161234567', 'false', 'corporate', '2020-01-01', ''];
    const parsed = parseCsvRecord(values, columns);
    expect(parsed.ok && [parsed.record.contractId, parsed.record.subscriberType]).toEqual([
      'a,"b"',
      'corporate',
    ]);
    expect(() => subscriberColumns(['msisdn', 'contractId'])).toThrow(
      /lacks column "subscriberType"/,
    );
  });

  it('writes a record back as one CSV line', () => {
    expect(csvLine(['1', 'x"y', 'a,b', 'two\nlines', ''])).toBe('1,"x""y","a,b","two\nlines",');
  });
});
