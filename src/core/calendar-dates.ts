/**
 * RFC 3339 dates and instants that name a real day and time. A pattern alone
 * lets through 2020-02-30 or 2020-13-01, and JavaScript's Date silently rolls
 * such values over to another day; a decision taken on a day that does not
 * exist is a wrong decision (R9, I1). Every date input of idbridge (the wire
 * schemas, the BSS events, the subscriber and legacy-user files) is checked
 * here, so all of them accept and refuse the same values.
 *
 * Years 0001–9999 (PostgreSQL has no year 0); no leap second (23:59:60):
 * neither JavaScript nor PostgreSQL can hold it as that instant.
 */

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const MINUTE_MS = 60_000;

/** Whether year-month-day is a day of the proleptic Gregorian calendar (leap years included). */
export function isRealDay(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** An RFC 3339 full-date (`2020-02-29`) of a real day. */
export function isCalendarDate(text: string): boolean {
  const m = FULL_DATE.exec(text);
  return m !== null && isRealDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

export interface ParseDateTimeOptions {
  /** Accept `HH:MM` without seconds (the subscriber file does); RFC 3339 requires them. */
  secondsOptional?: boolean;
}

/**
 * The instant of an RFC 3339 date-time with its offset (`Z` or `±HH:MM`;
 * separator `T`, `t` or a space), as epoch milliseconds; null when the text
 * is not one or names a day, time or offset that does not exist. A value
 * without offset is refused: its instant would depend on a server setting.
 */
export function parseDateTime(text: string, options: ParseDateTimeOptions = {}): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (m[6] === undefined && !options.secondsOptional) return null;
  const second = Number(m[6] ?? 0);
  if (!isRealDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const utc = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  const fractionMs = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  return utc.getTime() + Math.floor(fractionMs) - offsetMinutes * MINUTE_MS;
}

/** An RFC 3339 date-time (seconds and offset required) of a real instant. */
export function isDateTime(text: string): boolean {
  return parseDateTime(text) !== null;
}
