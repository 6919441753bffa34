import { isCalendarDate, parseDateTime } from '../../core/calendar-dates.js';
import { subscriberNumberKey } from './subscriber-msisdn.js';

/**
 * One row of a subscriber file, checked and normalized for loading:
 * msisdn as its digits, dates as strings PostgreSQL reads as the same
 * instant (date-only values mean 00:00 UTC), plus epoch ms for comparing.
 */
export interface SubscriberRecord {
  msisdnKey: string;
  contractId: string;
  subscriberType: 'individual' | 'corporate';
  hasSubscriberData: boolean;
  contractStart: string;
  contractEnd: string | null;
}

export type ParsedRecord = { ok: true; record: SubscriberRecord } | { ok: false; reason: string };

export const SUBSCRIBER_FILE_COLUMNS = [
  'msisdn',
  'contractId',
  'subscriberType',
  'hasSubscriberData',
  'contractStart',
  'contractEnd',
] as const;

type Fields = Partial<Record<(typeof SUBSCRIBER_FILE_COLUMNS)[number], unknown>>;

// RFC 3339 date-time with an explicit offset, or a plain date (midnight UTC),
// by the one calendar rule of core/calendar-dates (R9, I1). A date-time
// without offset is refused: its instant would depend on a server setting.
function parseInstant(value: string): { text: string; ms: number } | null {
  if (isCalendarDate(value)) {
    const text = `${value}T00:00:00Z`;
    const ms = parseDateTime(text);
    return ms === null ? null : { text, ms };
  }
  const ms = parseDateTime(value, { secondsOptional: true });
  return ms === null ? null : { text: value, ms };
}

function parseBoolean(value: unknown): boolean | null {
  if (value === true || value === 'true' || value === '1' || value === 1) return true;
  if (value === false || value === 'false' || value === '0' || value === 0) return false;
  return null;
}

/** Checks one record's fields; the reason names the first bad field. */
export function checkSubscriberFields(fields: Fields): ParsedRecord {
  const { msisdn, contractId, subscriberType, hasSubscriberData, contractStart, contractEnd } =
    fields;
  if (typeof msisdn !== 'string' || msisdn === '') return bad('missing msisdn');
  const number = subscriberNumberKey(msisdn);
  if (!number.ok) return bad(number.reason);
  const msisdnKey = number.key;
  if (typeof contractId !== 'string' || contractId === '') return bad('missing contractId');
  if (contractId.length > 128) return bad('contractId is longer than 128 characters');
  if (subscriberType !== 'individual' && subscriberType !== 'corporate') {
    return bad(
      subscriberType === undefined || subscriberType === ''
        ? 'missing subscriberType'
        : 'subscriberType is not individual or corporate',
    );
  }
  const hasData = parseBoolean(hasSubscriberData);
  if (hasData === null) {
    return bad(
      hasSubscriberData === undefined || hasSubscriberData === ''
        ? 'missing hasSubscriberData'
        : 'hasSubscriberData is not true or false',
    );
  }
  if (typeof contractStart !== 'string' || contractStart === '')
    return bad('missing contractStart');
  const start = parseInstant(contractStart);
  if (!start) return bad('contractStart is not a date or date-time with offset');
  let end: { text: string; ms: number } | null = null;
  if (contractEnd !== undefined && contractEnd !== null && contractEnd !== '') {
    if (typeof contractEnd !== 'string') return bad('contractEnd is not a date');
    end = parseInstant(contractEnd);
    if (!end) return bad('contractEnd is not a date or date-time with offset');
    if (end.ms < start.ms) return bad('contractEnd is before contractStart');
  }
  return {
    ok: true,
    record: {
      msisdnKey,
      contractId,
      subscriberType,
      hasSubscriberData: hasData,
      contractStart: start.text,
      contractEnd: end ? end.text : null,
    },
  };
}

function bad(reason: string): ParsedRecord {
  return { ok: false, reason };
}

/** Column positions from a CSV header's fields; throws when a required column is missing. */
export function subscriberColumns(header: string[]): number[] {
  const names = header.map((n) => n.trim());
  return SUBSCRIBER_FILE_COLUMNS.map((column) => {
    const index = names.indexOf(column);
    if (index < 0 && column !== 'contractEnd') {
      throw new Error(
        `CSV header lacks column "${column}"; expected ${SUBSCRIBER_FILE_COLUMNS.join(',')}`,
      );
    }
    return index;
  });
}

export function parseCsvRecord(values: string[], columns: number[]): ParsedRecord {
  const fields: Fields = {};
  SUBSCRIBER_FILE_COLUMNS.forEach((column, i) => {
    const index = columns[i] ?? -1;
    if (index >= 0) fields[column] = values[index]?.trim();
  });
  return checkSubscriberFields(fields);
}

export function parseNdjsonRecord(line: string): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return bad('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('not a JSON object');
  }
  return checkSubscriberFields(value as Fields);
}

/** One CSV field, quoted when it needs to be (for the rejects file). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV record written back as one CSV line (for the rejects file). */
export function csvLine(values: string[]): string {
  return values.map(csvField).join(',');
}
