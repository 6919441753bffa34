import { describe, expect, it } from 'vitest';
import { legacyCsvRecordParser, parseLegacyNdjson } from './parse-legacy-record.js';

describe('legacy user records', () => {
  const parse = legacyCsvRecordParser(['userSince', 'Number', 'userRef']);
  // The fields of one record, as the CSV reader gives them.
  const csv = (record: string) => parse(record.split(','));

  it('normalizes numbers as people typed them and takes the date part of userSince', () => {
    expect(csv('2018-05-05,8 (916) 123-45-67,u-1')).toEqual({
      ok: true,
      userRef: 'u-1',
      msisdn: '+79161234567',
      userSince: '2018-05-05',
    });
    expect(csv('2018-05-05T23:00:00+03:00,9161234567,u-2')).toMatchObject({
      ok: true,
      msisdn: '+79161234567',
      userSince: '2018-05-05',
    });
  });

  it('marks a number that is not a phone number invalid, and a bad date or empty userRef as a bad record', () => {
    expect(csv('2018-05-05,123,u-3')).toEqual({
      ok: false,
      userRef: 'u-3',
      reason: 'INVALID_NUMBER',
    });
    expect(csv('2018-05-05,call me,u-4')).toMatchObject({ reason: 'INVALID_NUMBER' });
    expect(csv('2018-02-30,+79161234567,u-5')).toMatchObject({ reason: 'INVALID_RECORD' });
    // Only a whole date or a real date-time: no trailing text, no hour 25 (R9, I1).
    for (const since of ['2018-05-05x', '2018-05-05T25:00:00Z', '2018-00-10', '2018-04-31'])
      expect(csv(`${since},+79161234567,u-6`), since).toMatchObject({ reason: 'INVALID_RECORD' });
    expect(csv('2018-05-05,+79161234567,')).toMatchObject({ reason: 'INVALID_RECORD' });
  });

  it('reads NDJSON with number or msisdn keys', () => {
    const nd = parseLegacyNdjson;
    expect(
      nd('{"userRef":"a","number":"+7 926 000-00-01","userSince":"2017-01-01"}'),
    ).toMatchObject({
      ok: true,
      msisdn: '+79260000001',
    });
    expect(nd('{"userRef":"b","msisdn":"89260000002","userSince":"2017-01-01"}')).toMatchObject({
      ok: true,
      msisdn: '+79260000002',
    });
    expect(nd('{not json')).toEqual({ ok: false, userRef: null, reason: 'INVALID_RECORD' });
  });

  it('refuses a CSV header without the three columns', () => {
    expect(() => legacyCsvRecordParser(['userRef', 'phone'])).toThrow(/userSince/);
  });
});
