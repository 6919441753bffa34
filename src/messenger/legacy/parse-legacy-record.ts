import { isCalendarDate, parseDateTime } from '../../core/calendar-dates.js';
import { isIdbridgeError } from '../../core/errors.js';
import { normalizeMsisdn } from '../../routing/index.js';

export type LegacyFileFormat = 'csv' | 'ndjson';

/** A line of a legacy user file, read and checked. */
export type LegacyRecord =
  | { ok: true; userRef: string; msisdn: string; userSince: string }
  | { ok: false; userRef: string | null; reason: 'INVALID_NUMBER' | 'INVALID_RECORD' };

const USER_REF_MAX = 128;
const NUMBER_KEYS = ['number', 'msisdn', 'phone'];

/**
 * The checker of a CSV file's records, from its header's fields (columns
 * `userRef`, `number` (or `msisdn`/`phone`), `userSince`, in any order,
 * names case-insensitive). The number is kept as typed in the file and
 * normalized here (`8 (916) 123-45-67` → `+79161234567`); one that is not a
 * phone number is INVALID_NUMBER. `userSince` is the date the user joined
 * (YYYY-MM-DD of a real day, or a real RFC 3339 date-time whose date part
 * is taken). Pure.
 */
export function legacyCsvRecordParser(header: string[]): (fields: string[]) => LegacyRecord {
  const columns = header.map((c) => c.trim().toLowerCase());
  const at = (names: string[]) => columns.findIndex((c) => names.includes(c));
  const ref = at(['userref', 'user_ref']);
  const num = at(NUMBER_KEYS);
  const since = at(['usersince', 'user_since']);
  if (ref < 0 || num < 0 || since < 0) {
    throw new Error('the CSV header must name the columns userRef, number and userSince');
  }
  return (fields) => checkRecord(fields[ref], fields[num], fields[since]);
}

/** One NDJSON line, with the keys of the CSV columns. */
export function parseLegacyNdjson(line: string): LegacyRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, userRef: null, reason: 'INVALID_RECORD' };
  }
  if (typeof value !== 'object' || value === null) {
    return { ok: false, userRef: null, reason: 'INVALID_RECORD' };
  }
  const o = value as Record<string, unknown>;
  const text = (v: unknown) =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  const number = NUMBER_KEYS.map((k) => text(o[k])).find((v) => v !== undefined);
  return checkRecord(text(o.userRef), number, text(o.userSince));
}

function checkRecord(
  rawRef: string | undefined,
  rawNumber: string | undefined,
  rawSince: string | undefined,
): LegacyRecord {
  const userRef = rawRef?.trim() ?? '';
  if (userRef === '' || userRef.length > USER_REF_MAX) {
    return { ok: false, userRef: null, reason: 'INVALID_RECORD' };
  }
  const userSince = calendarDate(rawSince?.trim() ?? '');
  if (!userSince) return { ok: false, userRef, reason: 'INVALID_RECORD' };
  try {
    return { ok: true, userRef, msisdn: normalizeMsisdn(rawNumber ?? ''), userSince };
  } catch (err) {
    if (isIdbridgeError(err)) return { ok: false, userRef, reason: 'INVALID_NUMBER' };
    throw err;
  }
}

/**
 * YYYY-MM-DD of a real calendar day, or the date part of a real RFC 3339
 * date-time, by the one calendar rule of core/calendar-dates (R9, I1);
 * anything else (`2020-01-10x`, `2020-01-10T25:00:00Z`) is null.
 */
function calendarDate(text: string): string | null {
  if (isCalendarDate(text)) return text;
  if (parseDateTime(text, { secondsOptional: true }) === null) return null;
  return text.slice(0, 10);
}
