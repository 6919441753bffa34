import type { Queryable } from '../../db/port.js';
import { keyToMsisdn, msisdnToKey } from './subscriber-msisdn.js';

export type SubscriberType = 'individual' | 'corporate';
export type ContractEndReason = 'terminated' | 'ported_out';

/** One contract of a number, as the identification logic sees it (R4, I1). */
export interface SubscriberContract {
  /** E.164 with plus. */
  msisdn: string;
  contractId: string;
  subscriberType: SubscriberType;
  hasSubscriberData: boolean;
  contractStart: Date;
  contractEnd: Date | null;
  endReason: ContractEndReason | null;
  /** The identification slow path asks the BSS before answering (protocol.md §2, 202). */
  needsBssCheck: boolean;
}

export interface ContractRow {
  msisdn: string;
  contract_id: string;
  subscriber_type: SubscriberType;
  has_subscriber_data: boolean;
  contract_start: Date;
  contract_end: Date | null;
  end_reason: ContractEndReason | null;
  needs_bss_check: boolean;
}

export const CONTRACT_COLUMNS =
  'msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, contract_end, end_reason, needs_bss_check';

export function toSubscriberContract(row: ContractRow): SubscriberContract {
  return {
    msisdn: keyToMsisdn(row.msisdn),
    contractId: row.contract_id,
    subscriberType: row.subscriber_type,
    hasSubscriberData: row.has_subscriber_data,
    contractStart: new Date(row.contract_start),
    contractEnd: row.contract_end === null ? null : new Date(row.contract_end),
    endReason: row.end_reason,
    needsBssCheck: row.needs_bss_check,
  };
}

/**
 * The newest contract of the number `msisdn` (an SQL expression) started at
 * or before `at` (an SQL expression), valid or not: a LATERAL subquery.
 *
 * `lock: 'share'` locks that contract row FOR SHARE, for decisions that open
 * a register entry on it (see DECISION_LOCK below).
 */
export function latestContractSql(msisdn: string, at: string, lock?: 'share'): string {
  return `
    SELECT ${CONTRACT_COLUMNS} FROM subscriber_contracts c
    WHERE c.msisdn = ${msisdn} AND c.contract_start <= ${at}
    ORDER BY c.contract_start DESC
    LIMIT 1${lock === 'share' ? ' FOR SHARE OF c' : ''}`;
}

/*
 * DECISION_LOCK (R7): a decision that confirms opens a register entry on the
 * contract it read. A termination of that contract running at the same time
 * closes the open entries it can see and writes their notices; it cannot see
 * an entry whose transaction has not committed. Without a lock, the entry
 * committed after the termination stayed open on an ended contract and its
 * messenger was never notified. So decisions read the contract FOR SHARE:
 * every writer that ends or changes a contract updates its row and so waits
 * for the decision to commit (its next statement then sees the new entry and
 * closes it with a notice); a decision that comes second waits for the
 * writer and reads the row as the writer left it (PostgreSQL re-reads a
 * locked row that changed), so it sees the contract ended. Shared locks do
 * not block each other: decisions on one contract still run together.
 * Decisions that lock many contracts (batches) take them in number order,
 * as does the import merge, so the two cannot deadlock.
 */

/**
 * Whether the contract row `alias` (from latestContractSql) is valid at `at`.
 * Periods are half-open [start, end): a contract ending at T is no longer
 * valid at T, and its successor may start at T. Periods never overlap (the
 * writers keep it so), hence the newest contract started at or before T is
 * the only one that can be valid at T.
 */
export function contractValidSql(alias: string, at: string): string {
  return `(${alias}.contract_end IS NULL OR ${alias}.contract_end > ${at})`;
}

const validAtSql = (lock?: 'share') => `
  SELECT ${CONTRACT_COLUMNS} FROM (${latestContractSql('q.msisdn', '$2', lock)}) latest
  WHERE ${contractValidSql('latest', '$2')}`;
const VALID_AT = validAtSql();
const VALID_AT_LOCKED = validAtSql('share');

/**
 * The contract valid for `msisdn` at `at`, or null (no contract, or the number
 * is not E.164). Reads only unless `lock: 'share'` (DECISION_LOCK); safe to
 * call from any number of processes.
 */
export async function findValidContract(
  db: Queryable,
  msisdn: string,
  at: Date,
  options: { lock?: 'share' } = {},
): Promise<SubscriberContract | null> {
  const key = msisdnToKey(msisdn);
  if (key === null) return null;
  const { rows } = await db.query<ContractRow>(
    `SELECT v.* FROM (SELECT $1::bigint AS msisdn) q
     CROSS JOIN LATERAL (${options.lock ? VALID_AT_LOCKED : VALID_AT}) v`,
    [key, at],
  );
  return rows[0] ? toSubscriberContract(rows[0]) : null;
}

/**
 * Set-based `findValidContract` for batches (protocol.md §2 batch, I1): one
 * query for all numbers, answers in input order, null where no contract is
 * valid at `at` or the number is not E.164. Duplicates in the input are fine.
 * Reads only unless `lock: 'share'`, which locks each number's latest
 * contract, in number order (DECISION_LOCK).
 */
export async function findValidContracts(
  db: Queryable,
  msisdns: readonly string[],
  at: Date,
  options: { lock?: 'share' } = {},
): Promise<Array<SubscriberContract | null>> {
  const answers: Array<SubscriberContract | null> = msisdns.map(() => null);
  const wanted: Array<{ key: string; position: number }> = [];
  msisdns.forEach((msisdn, position) => {
    const key = msisdnToKey(msisdn);
    if (key !== null) wanted.push({ key, position });
  });
  if (wanted.length === 0) return answers;
  // Number order, so that lockers of many contracts take them in one order.
  if (options.lock) wanted.sort((a, b) => compareKeys(a.key, b.key));
  const { rows } = await db.query<ContractRow & { ord: string }>(
    `SELECT q.ord, v.*
     FROM unnest($1::bigint[]) WITH ORDINALITY AS q(msisdn, ord)
     CROSS JOIN LATERAL (${options.lock ? VALID_AT_LOCKED : VALID_AT}) v`,
    [wanted.map((w) => w.key), at],
  );
  for (const row of rows) {
    const position = wanted[Number(row.ord) - 1]?.position;
    if (position !== undefined) answers[position] = toSubscriberContract(row);
  }
  return answers;
}

/** Numeric order of two msisdn keys (digit strings without leading zeros). */
function compareKeys(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Every contract the number has had, oldest first (history, audits, tests). */
export async function listContracts(db: Queryable, msisdn: string): Promise<SubscriberContract[]> {
  const key = msisdnToKey(msisdn);
  if (key === null) return [];
  const { rows } = await db.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM subscriber_contracts WHERE msisdn = $1
     ORDER BY contract_start, contract_id`,
    [key],
  );
  return rows.map(toSubscriberContract);
}
