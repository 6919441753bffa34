import { shiftPlaceholders, type WritePart } from '../../db/combined-writes.js';
import type { Queryable } from '../../db/port.js';
import {
  type EntryRow,
  REGISTER_ENTRY_COLUMNS,
  type RegisterEntry,
  toEntry,
} from '../register/register-store.js';
import {
  CONTRACT_COLUMNS,
  type ContractRow,
  contractValidSql,
  latestContractSql,
  type SubscriberContract,
  toSubscriberContract,
} from '../subscribers/subscriber-contract-store.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';

/** Everything one identification decision reads, from one statement. */
export interface DecisionFacts {
  /** The contract valid at the request time, or null (R4). */
  contract: SubscriberContract | null;
  /**
   * Whether this operator serves the number although no contract is valid:
   * the difference between `NO_SUBSCRIBER_DATA` and `NOT_SERVED`
   * (protocol.md §2). Our rule (docs/architecture.md): a number the base has
   * never held, or whose latest contract ended by port-out, is not served
   * here — the messenger's routing is stale. A number whose latest contract
   * was terminated is still ours: there is simply no subscriber data for it.
   */
  served: boolean;
  /** The register entry the requested code already names, open or closed. */
  entryWithCode: RegisterEntry | null;
  /** The code of the open entry of (valid contract, messenger), if any. */
  openCode: string | null;
  /** The counted write's row count, when one came with the read (`claim`). */
  claimCount?: number;
}

const CONTRACT_PREFIX = 'lc_';
const ENTRY_PREFIX = 'ce_';

/** `a, b` → `alias.a AS prefix_a, alias.b AS prefix_b`. */
function prefixed(columns: string, alias: string, prefix: string): string {
  return columns
    .split(',')
    .map((c) => `${alias}.${c.trim()} AS ${prefix}${c.trim()}`)
    .join(', ');
}

function unprefixed<T>(row: Record<string, unknown>, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  }
  return out as T;
}

/** The columns a decision reads (toDecisionFacts), over factsJoins; `at` is the request time as SQL. */
export function factsColumns(at: string): string {
  return `${prefixed(CONTRACT_COLUMNS, 'latest', CONTRACT_PREFIX)},
            ${contractValidSql('latest', at)} AS latest_valid,
            ${prefixed(REGISTER_ENTRY_COLUMNS, 'by_code', ENTRY_PREFIX)},
            open_entry.code AS open_code`;
}
const FACTS_COLUMNS = factsColumns('$2');
const FACTS_PARAMS = 4;

/** Where a decision's inputs come from: SQL expressions for the number key, time, messenger and code. */
export interface FactsSource {
  msisdn: string;
  at: string;
  messengerId: string;
  code: string;
}

/**
 * The lateral joins that read a decision's facts (see readDecisionFacts),
 * for inputs given as SQL expressions: parameters for one decision, columns
 * of an unnest for a group (decide-identification-group.ts). Select
 * factsColumns over them.
 */
export function factsJoins(source: FactsSource): string {
  return `
       LEFT JOIN LATERAL (${latestContractSql(source.msisdn, source.at, 'share')}) latest ON true
       LEFT JOIN LATERAL (
         SELECT ${REGISTER_ENTRY_COLUMNS} FROM register_entries
          WHERE messenger_id = ${source.messengerId} AND code = ${source.code} LIMIT 1) by_code ON true
       LEFT JOIN LATERAL (
         SELECT code FROM register_entries r
          WHERE r.msisdn = latest.msisdn AND r.contract_id = latest.contract_id
            AND r.messenger_id = ${source.messengerId} AND r.closed_at IS NULL LIMIT 1) open_entry
         ON ${contractValidSql('latest', source.at)}`;
}

// Built once: the text is the same for every decision (and so is its prepared statement).
const FACTS_FROM = `
       FROM (SELECT 1) one${factsJoins({ msisdn: '$1::bigint', at: '$2', messengerId: '$3', code: '$4' })}`;
const FACTS_SQL = `SELECT ${FACTS_COLUMNS}${FACTS_FROM}`;
/** The statement with a counted write before it, by the write's SQL (one text per kind of write). */
const withWriteSql = new Map<string, string>();

function factsWithWriteSql(write: WritePart): string {
  const key = `${write.name}\n${write.sql}`;
  let sql = withWriteSql.get(key);
  if (!sql) {
    sql = `WITH ${write.name} AS (${shiftPlaceholders(write, FACTS_PARAMS)})
     SELECT ${FACTS_COLUMNS},
            (SELECT count(*) FROM ${write.name})::int AS claim_count${FACTS_FROM}`;
    withWriteSql.set(key, sql);
  }
  return sql;
}

/**
 * Reads the facts of one decision in one round trip: the number's latest
 * contract (valid or not), the entry the code names and the open entry of the
 * contract for this messenger. The decision path was eleven round trips; on
 * PostgreSQL each costs a socket write and read on both sides, more than the
 * reads themselves.
 *
 * The LIMIT 1s (both lookups are unique anyway) keep the planner from
 * flattening the lateral subqueries into joins. Flattened, the prepared
 * (generic) plan made while register_entries was nearly empty scanned the
 * open-entries index by messenger alone and filtered the join: a scan of
 * every open entry per decision until the next ANALYZE (bench
 * operator-identify fell from 230 to 70 decisions/s over four rounds).
 *
 * With `claim` (the idempotency claim, runIdempotent), the write is made in
 * this statement too: one round trip and one statement fewer per request.
 *
 * Locks the number's latest contract FOR SHARE, so that a termination cannot
 * end it unseen while this decision opens an entry on it (DECISION_LOCK in
 * subscriber-contract-store.ts).
 */
export async function readDecisionFacts(
  tx: Queryable,
  input: { msisdn: string; messengerId: string; code: string; at: Date },
  /** A counted write to make in the same statement (the idempotency claim). */
  claim?: WritePart,
): Promise<DecisionFacts> {
  const params: unknown[] = [msisdnToKey(input.msisdn), input.at, input.messengerId, input.code];
  const { rows } = claim
    ? await tx.query<Record<string, unknown>>(factsWithWriteSql(claim), [
        ...params,
        ...claim.params,
      ])
    : await tx.query<Record<string, unknown>>(FACTS_SQL, params);
  const row = rows[0];
  if (!row) throw new Error('decision facts: the query returned no row');
  return {
    ...toDecisionFacts(row),
    ...(claim ? { claimCount: Number(row.claim_count) } : {}),
  };
}

/** A row of FACTS_COLUMNS as the facts of a decision. */
export function toDecisionFacts(row: Record<string, unknown>): DecisionFacts {
  const latest =
    row[`${CONTRACT_PREFIX}msisdn`] === null
      ? null
      : toSubscriberContract(unprefixed<ContractRow>(row, CONTRACT_PREFIX));
  const contract = latest && row.latest_valid === true ? latest : null;
  return {
    contract,
    served: latest !== null && (contract !== null || latest.endReason !== 'ported_out'),
    entryWithCode:
      row[`${ENTRY_PREFIX}entry_id`] === null
        ? null
        : toEntry(unprefixed<EntryRow>(row, ENTRY_PREFIX)),
    openCode: (row.open_code as string | null) ?? null,
  };
}
