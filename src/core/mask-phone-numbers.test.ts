import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { maskPhoneNumbers } from './mask-phone-numbers.js';

describe('maskPhoneNumbers (R11)', () => {
  it('masks an E.164 number to its prefix and last two digits', () => {
    expect(maskPhoneNumbers('+79161234567')).toBe('+7916*****67');
  });

  it('masks every number inside a longer text and bare Russian mobile numbers', () => {
    expect(maskPhoneNumbers('from +79161234567 to 89031112233 and 79265554433.')).toBe(
      'from +7916*****67 to 8903*****33 and 7926*****33.',
    );
  });

  it('masks foreign E.164 numbers too', () => {
    expect(maskPhoneNumbers('+447911123456')).toBe('+4479******56');
  });

  it('leaves ids, timestamps and short numbers alone', () => {
    const text = 'id 0190f3a2-7c4e-7000-8000-000000000001 at 2026-11-28T09:00:00Z code 123456';
    expect(maskPhoneNumbers(text)).toBe(text);
  });
});

describe('createLogger', () => {
  it('never writes a number in clear, in messages, fields or errors', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger({ destination });
    log.info({ msisdn: '+79161234567', nested: { list: ['+79031112233'] } }, 'routed +79265554433');
    log.error({ err: new Error('no contract for +79161234567') }, 'failed');
    const out = lines.join('');
    expect(out).not.toMatch(/79161234567|79031112233|79265554433/);
    expect(out).toContain('+7916*****67');
    expect(out).toContain('+7926*****33');
    expect(out).toContain('+7903*****33');
  });
});
