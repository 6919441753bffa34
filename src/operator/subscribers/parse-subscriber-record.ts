import { isRussianMobileKey, msisdnToKey } from './subscriber-msisdn.js';

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

// RFC 3339 date-time with an explicit offset, or a plain date. A date-time
// without offset is refused: its instant would depend on a server setting.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|z|[+-]\d{2}:\d{2}))?$/;

function parseInstant(value: string): { text: string; ms: number } | null {
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
    return null;
  }
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59)) {
    return null;
  }
  const text = m[4] === undefined ? `${value}T00:00:00Z` : value;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(ms) ? null : { text, ms };
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
  const msisdnKey = msisdnToKey(msisdn);
  if (msisdnKey === null) return bad('msisdn is not an E.164 number');
  // A well-formed E.164 number that no Russian mobile contract can hold
  // (+7916555000 has ten digits) would sit in the base and match nothing.
  if (!isRussianMobileKey(msisdnKey)) {
    return bad('msisdn is not a Russian mobile number (+79 and nine more digits)');
  }
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

/** Column positions from a CSV header line; throws when a required column is missing. */
export function readCsvHeader(header: string): number[] {
  const names = splitCsvLine(header.replace(/^\uFEFF/, '')).map((n) => n.trim());
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

export function parseCsvRecord(line: string, columns: number[]): ParsedRecord {
  const values = splitCsvLine(line);
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

/** RFC 4180 fields of one line: commas, and double quotes with "" escapes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** One CSV field, quoted when it needs to be (for the rejects file). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
