import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Queryable } from '../../src/db/port.js';

/**
 * The synthetic subscriber base the operator benchmarks run against. Number
 * `i` (0-based) is `+7900…` + i and has one open contract `c-i`:
 * - has subscriber data unless i % 20 = 0 (5% answer NO_SUBSCRIBER_DATA, R4);
 * - corporate when i % 7 = 0;
 * - started on 2012-01-01 + (i % 3650) days, spread evenly over ten years, so
 *   with `userSince` 2020-01-01 about 80% of legacy items are confirmed and
 *   the rest NUMBER_REASSIGNED (I1);
 * - when i % 10 = 0 an earlier ended contract `p-i` (2005 → the open
 *   contract's start) sits in its history, so lookups must pick the latest.
 */
export const FIRST_NUMBER = 79_000_000_000;
const TEN_YEARS_DAYS = 3650;
const START_MS = Date.UTC(2012, 0, 1);
const DAY_MS = 86_400_000;

export function subscriberMsisdn(i: number): string {
  return `+${FIRST_NUMBER + i}`;
}

function contractStartDate(i: number): string {
  return new Date(START_MS + (i % TEN_YEARS_DAYS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Inserts subscribers [0, count) straight into `subscriber_contracts` with
 * INSERT … SELECT generate_series (set-up only: this bypasses the import's
 * checks), in chunks so progress can be shown, then ANALYZEs the table.
 */
export async function loadSyntheticSubscribers(
  db: Queryable,
  count: number,
  onProgress?: (done: number) => void,
): Promise<{ contractRows: number }> {
  const chunk = 250_000;
  let contractRows = 0;
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk) - 1;
    const { rowCount } = await db.query(
      `INSERT INTO subscriber_contracts
         (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start,
          contract_end, end_reason, updated_at)
       SELECT ${FIRST_NUMBER} + i, 'c-' || i,
              CASE WHEN i % 7 = 0 THEN 'corporate' ELSE 'individual' END, i % 20 <> 0,
              timestamptz '2012-01-01 00:00:00+00' + (i % ${TEN_YEARS_DAYS}) * interval '1 day',
              NULL, NULL, now()
       FROM generate_series($1::bigint, $2::bigint) AS i
       UNION ALL
       SELECT ${FIRST_NUMBER} + i, 'p-' || i, 'individual', true,
              timestamptz '2005-01-01 00:00:00+00',
              timestamptz '2012-01-01 00:00:00+00' + (i % ${TEN_YEARS_DAYS}) * interval '1 day',
              'terminated', now()
       FROM generate_series($1::bigint, $2::bigint) AS i
       WHERE i % 10 = 0`,
      [from, to],
    );
    contractRows += rowCount;
    onProgress?.(to + 1);
  }
  await db.exec('ANALYZE subscriber_contracts');
  return { contractRows };
}

/**
 * Writes the same base as a subscriber CSV of exactly `rows` data lines (the
 * import's input format), history line first. Returns how many distinct
 * numbers it holds: numbers [0, numbers) exist afterwards.
 */
export async function writeSyntheticSubscriberCsv(
  file: string,
  rows: number,
): Promise<{ numbers: number }> {
  const out = createWriteStream(file);
  out.write('msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd\n');
  let parts: string[] = [];
  let written = 0;
  let i = 0;
  while (written < rows) {
    const msisdn = subscriberMsisdn(i);
    const start = contractStartDate(i);
    if (i % 10 === 0 && written + 1 < rows) {
      parts.push(`${msisdn},p-${i},individual,true,2005-01-01,${start}`);
      written++;
    }
    const type = i % 7 === 0 ? 'corporate' : 'individual';
    parts.push(`${msisdn},c-${i},${type},${i % 20 !== 0},${start},`);
    written++;
    i++;
    if (parts.length >= 10_000) {
      if (!out.write(`${parts.join('\n')}\n`)) await once(out, 'drain');
      parts = [];
    }
  }
  if (parts.length > 0) out.write(`${parts.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  return { numbers: i };
}

/** A random permutation of [0, count) (Fisher–Yates): distinct numbers in random order. */
export function shuffledIndexes(count: number): Int32Array {
  const a = new Int32Array(count);
  for (let i = 0; i < count; i++) a[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
  return a;
}

/** Hands out consecutive slices of `order`, so no subscriber is used twice in a run. */
export function createDealer(order: Int32Array): (n: number) => number[] {
  let taken = 0;
  return (n) => {
    if (taken + n > order.length) throw new Error('not enough distinct subscribers for this run');
    const slice = Array.from(order.subarray(taken, taken + n));
    taken += n;
    return slice;
  };
}
