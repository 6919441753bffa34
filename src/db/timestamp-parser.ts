import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const defaultParser = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => unknown;

const DASH = 45;
const PLUS = 43;
const SPACE = 32;
const COLON = 58;
const DOT = 46;

/** The value of `length` decimal digits at `at`, or NaN. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Parses a `timestamptz` as PostgreSQL prints it by default
 * (`2026-11-29 15:40:24.123456+00`, DateStyle ISO) into the same Date
 * node-postgres's own parser makes, without regular expressions; any other
 * shape (BC, infinity, years before 1000 or after 9999, another DateStyle)
 * goes to node-postgres's parser.
 *
 * Why: rows with timestamps come back by the thousand on the batch paths (a
 * delivery of 1,000 notices reads users and outbox rows with a dozen
 * timestamps per notice), and the default parser's regular expressions were
 * 18% of the node's CPU in bench notice-fanout.
 */
export function parseTimestamptz(text: string): unknown {
  const n = text.length;
  if (
    n < 22 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== SPACE ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON
  ) {
    return defaultParser(text);
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === DOT) {
    let end = at + 1;
    while (end < n && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    if (end === at + 1) return defaultParser(text);
    // The same arithmetic as the default parser, so the same millisecond.
    ms = 1000 * Number.parseFloat(text.slice(at, end));
    at = end;
  }
  const sign = text.charCodeAt(at);
  const rest = n - at - 1;
  if ((sign !== PLUS && sign !== DASH) || (rest !== 2 && rest !== 5 && rest !== 8)) {
    return defaultParser(text);
  }
  let offset = digits(text, at + 1, 2) * 3600;
  if (rest >= 5) {
    if (text.charCodeAt(at + 3) !== COLON) return defaultParser(text);
    offset += digits(text, at + 4, 2) * 60;
  }
  if (rest === 8) {
    if (text.charCodeAt(at + 6) !== COLON) return defaultParser(text);
    offset += digits(text, at + 7, 2);
  }
  const fields = year + month + day + hour + minute + second + offset;
  if (Number.isNaN(fields) || year < 1000) return defaultParser(text);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return new Date(utc - (sign === DASH ? -offset : offset) * 1000);
}

/** node-postgres type parsers with the fast timestamptz parser. */
export const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID && (format ?? 'text') === 'text') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  },
};
