import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { LegacySummary } from '../../src/messenger/legacy/index.js';
import { LEGACY_OPERATORS, type LegacyNetwork } from './legacy-network.js';

/**
 * A legacy base with a planted mix (R9, I1). User i (0 ≤ i < size, size a
 * multiple of 80) belongs to operator k = i % 4 and category c = ⌊i/4⌋ % 20:
 * - c 0–11  match: contract since 2015 with subscriber data, user since 2018;
 * - c 12–13 reassigned: the contract began in 2020, after the user joined;
 * - c 14    no subscriber data;
 * - c 15    ported to the next operator, known to routing: matched there;
 * - c 16    ported to the next operator, routing stale: NOT_SERVED at the donor,
 *           then matched after the routing refresh and re-route (I5);
 * - c 17    served by no one: NOT_SERVED, and NOT_SERVED's re-route finds the same operator;
 * - c 18    unroutable: a Moscow landline (even k) or a range whose holder is not in the directory (odd k);
 * - c 19    not a phone number: invalid, never a user.
 * Numbers are typed three ways (E.164, 8 (9xx) …, ten digits).
 */
export const USER_SINCE = '2018-05-05';

export function plantedNumber(i: number): string {
  const k = i % 4;
  const c = Math.floor(i / 4) % 20;
  if (c === 18) return k % 2 === 0 ? `+7495${1_000_000 + i}` : `+7999${String(i).padStart(7, '0')}`;
  const prefix = LEGACY_OPERATORS[k]?.prefix ?? '916';
  return `+7${prefix}${String(i).padStart(7, '0')}`;
}

function typed(i: number): string {
  const c = Math.floor(i / 4) % 20;
  if (c === 19) return i % 8 < 4 ? `no-number-${i}` : '123';
  const e164 = plantedNumber(i);
  const d = e164.slice(2);
  switch (Math.floor(i / 80) % 3) {
    case 0:
      return e164;
    case 1:
      return `"8 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6, 8)}-${d.slice(8)}"`;
    default:
      return d;
  }
}

export function expectedSummary(size: number): Omit<LegacySummary, 'batches' | 'batchResends'> {
  const per = size / 20;
  return {
    matched: 14 * per,
    reassigned: 2 * per,
    noSubscriberData: per,
    notServed: per,
    unroutable: per,
    invalid: per,
    pending: 0,
  };
}

/** Writes the CSV of the whole base (header userRef,number,userSince). */
export async function writePlantedCsv(file: string, size: number): Promise<void> {
  if (size % 80 !== 0) throw new Error('size must be a multiple of 80');
  const out = createWriteStream(file);
  out.write('userRef,number,userSince\n');
  let lines: string[] = [];
  for (let i = 0; i < size; i++) {
    const since = i % 2 === 0 ? USER_SINCE : `${USER_SINCE}T12:00:00+03:00`;
    lines.push(`u-${i},${typed(i)},${since}`);
    if (lines.length === 10_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines = [];
    }
  }
  out.end(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await once(out, 'finish');
}

/** Ported numbers: c 15 (known to routing from the start) and c 16 (added later). */
export function plantedPorts(
  size: number,
  category: 15 | 16,
): Array<{ msisdn: string; toOperator: string }> {
  const out: Array<{ msisdn: string; toOperator: string }> = [];
  for (let i = 0; i < size; i++) {
    if (Math.floor(i / 4) % 20 !== category) continue;
    out.push({ msisdn: plantedNumber(i), toOperator: LEGACY_OPERATORS[(i + 1) % 4]?.id ?? 'mts' });
  }
  return out;
}

/** Loads every operator's subscriber contracts for the mix (set-up SQL, bypassing the import). */
export async function seedPlantedOperators(network: LegacyNetwork, size: number): Promise<void> {
  const count = size / 4;
  for (const [k, o] of LEGACY_OPERATORS.entries()) {
    const prev = LEGACY_OPERATORS[(k + 3) % 4];
    if (!prev) throw new Error('unreachable');
    const own = `${o.prefix}0000000::bigint + 70000000000 + (4 * j + ${k})`;
    const portedIn = `${prev.prefix}0000000::bigint + 70000000000 + (4 * j + ${(k + 3) % 4})`;
    await network.operators[o.id]?.db.query(
      `INSERT INTO subscriber_contracts
         (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, contract_end, end_reason, updated_at)
       SELECT ${own}, 'c-' || j, 'individual', j % 20 <> 14,
              CASE WHEN j % 20 IN (12, 13) THEN timestamptz '2020-01-01Z' ELSE timestamptz '2015-01-01Z' END,
              NULL, NULL, now()
       FROM generate_series(0, $1::int - 1) AS j WHERE j % 20 <= 14
       UNION ALL
       SELECT ${own}, 'old-' || j, 'individual', true, timestamptz '2010-01-01Z',
              CASE WHEN j % 20 = 15 THEN timestamptz '2016-01-01Z' ELSE timestamptz '2016-06-01Z' END,
              'ported_out', now()
       FROM generate_series(0, $1::int - 1) AS j WHERE j % 20 IN (15, 16)
       UNION ALL
       SELECT ${portedIn}, 'in-' || j, 'individual', true,
              CASE WHEN j % 20 = 15 THEN timestamptz '2016-01-01Z' ELSE timestamptz '2016-06-01Z' END,
              NULL, NULL, now()
       FROM generate_series(0, $1::int - 1) AS j WHERE j % 20 IN (15, 16)`,
      [count],
    );
  }
}
