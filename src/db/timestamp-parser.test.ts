import pg from 'pg';
import { expect, it } from 'vitest';
import { parseTimestamptz } from './timestamp-parser.js';

const reference = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;

const same = (text: string) => {
  const ours = parseTimestamptz(text);
  const theirs = reference(text);
  if (theirs instanceof Date) {
    expect(ours, text).toBeInstanceOf(Date);
    expect((ours as Date).getTime(), text).toBe(theirs.getTime());
  } else {
    expect(ours, text).toEqual(theirs);
  }
};

it('parses what PostgreSQL prints exactly as node-postgres does', () => {
  for (const text of [
    '2026-11-29 15:40:24+00',
    '2026-11-29 15:40:24.1+00',
    '2026-11-29 15:40:24.123+00',
    '2026-11-29 15:40:24.123456+00',
    '2026-11-29 15:40:24.000001+00',
    '2026-11-29 15:40:24.999999+00',
    '2026-11-29 15:40:24.028999+03',
    '2026-11-29 15:40:24.5-05',
    '2026-11-29 15:40:24+05:30',
    '2026-11-29 15:40:24.25-09:30',
    '1900-01-01 00:00:00+02:30:17',
    '2024-02-29 23:59:59.999999+14',
    '9999-12-31 23:59:59.999999-12',
    '1000-01-01 00:00:00+00',
  ]) {
    same(text);
  }
});

it('matches node-postgres on 20,000 random timestamps and offsets', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pad = (v: number, w: number) => String(v).padStart(w, '0');
  for (let i = 0; i < 20_000; i++) {
    const fraction = rand(3) === 0 ? '' : `.${pad(rand(1_000_000), 6).slice(0, 1 + rand(6))}`;
    const offsets = ['+00', `-${pad(rand(13), 2)}`, `+${pad(rand(15), 2)}:${pad(rand(60), 2)}`];
    const text =
      `${1000 + rand(9000)}-${pad(1 + rand(12), 2)}-${pad(1 + rand(28), 2)} ` +
      `${pad(rand(24), 2)}:${pad(rand(60), 2)}:${pad(rand(60), 2)}${fraction}${offsets[rand(3)]}`;
    same(text);
  }
});

it('leaves every other shape to node-postgres', () => {
  for (const text of [
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '0099-01-01 00:00:00+00',
    '12026-01-01 00:00:00+00',
    '2026-11-29 15:40:24',
    '2026-11-29T15:40:24Z',
    'garbage',
  ]) {
    same(text);
  }
});
