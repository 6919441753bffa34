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
 */
export function latestContractSql(msisdn: string, at: string): string {
  return `
    SELECT ${CONTRACT_COLUMNS} FROM subscriber_contracts c
    WHERE c.msisdn = ${msisdn} AND c.contract_start <= ${at}
    ORDER BY c.contract_start DESC
    LIMIT 1`;
}

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

const VALID_AT = `
  SELECT ${CONTRACT_COLUMNS} FROM (${latestContractSql('q.msisdn', '$2')}) latest
  WHERE ${contractValidSql('latest', '$2')}`;

/**
 * The contract valid for `msisdn` at `at`, or null (no contract, or the number
 * is not E.164). Reads only; safe to call from any number of processes.
 */
export async function findValidContract(
  db: Queryable,
  msisdn: string,
  at: Date,
): Promise<SubscriberContract | null> {
  const key = msisdnToKey(msisdn);
  if (key === null) return null;
  const { rows } = await db.query<ContractRow>(
    `SELECT v.* FROM (SELECT $1::bigint AS msisdn) q CROSS JOIN LATERAL (${VALID_AT}) v`,
    [key, at],
  );
  return rows[0] ? toSubscriberContract(rows[0]) : null;
}

/**
 * Set-based `findValidContract` for batches (protocol.md §2 batch, I1): one
 * query for all numbers, answers in input order, null where no contract is
 * valid at `at` or the number is not E.164. Duplicates in the input are fine.
 * Reads only; safe to call concurrently.
 */
export async function findValidContracts(
  db: Queryable,
  msisdns: readonly string[],
  at: Date,
): Promise<Array<SubscriberContract | null>> {
  const answers: Array<SubscriberContract | null> = msisdns.map(() => null);
  const keys: string[] = [];
  const positions: number[] = [];
  msisdns.forEach((msisdn, i) => {
    const key = msisdnToKey(msisdn);
    if (key !== null) {
      keys.push(key);
      positions.push(i);
    }
  });
  if (keys.length === 0) return answers;
  const { rows } = await db.query<ContractRow & { ord: string }>(
    `SELECT q.ord, v.*
     FROM unnest($1::bigint[]) WITH ORDINALITY AS q(msisdn, ord)
     CROSS JOIN LATERAL (${VALID_AT}) v`,
    [keys, at],
  );
  for (const row of rows) {
    const position = positions[Number(row.ord) - 1];
    if (position !== undefined) answers[position] = toSubscriberContract(row);
  }
  return answers;
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
