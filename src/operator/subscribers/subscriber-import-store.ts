import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { importRunStore } from '../../files/import-run-store.js';
import { writeNoticesForImportedEnds } from '../notices/write-contract-notices.js';

/**
 * SQL of the bulk import (import-subscribers.ts): the runs table that makes
 * an import resumable, the per-transaction staging table, and the set-based
 * merge of one chunk into subscriber_contracts.
 */

/** The runs table of the subscriber import (its rejects file's length kept per commit). */
export const subscriberImportRuns = importRunStore({
  table: 'subscriber_import_runs',
  label: 'subscriber import',
  rejectsBytes: true,
});

export const STAGING_COLUMNS =
  'line_no, msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, contract_end';

/**
 * A temporary table per session, emptied at every commit: nothing is logged
 * to WAL and a crash leaves nothing behind.
 */
export async function prepareStaging(tx: Queryable): Promise<void> {
  await tx.query(
    `CREATE TEMP TABLE IF NOT EXISTS subscriber_import_staging (
       line_no bigint NOT NULL, msisdn bigint NOT NULL, contract_id text NOT NULL,
       subscriber_type text NOT NULL, has_subscriber_data boolean NOT NULL,
       contract_start timestamptz NOT NULL, contract_end timestamptz
     ) ON COMMIT DELETE ROWS`,
  );
}

/** Multi-row INSERT of a chunk's columns (the path without COPY). */
export async function insertStagingRows(
  tx: Queryable,
  columns: {
    lineNos: number[];
    msisdnKeys: string[];
    contractIds: string[];
    subscriberTypes: string[];
    hasSubscriberData: boolean[];
    contractStarts: string[];
    contractEnds: Array<string | null>;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO subscriber_import_staging (${STAGING_COLUMNS})
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::boolean[],
       $6::timestamptz[], $7::timestamptz[])`,
    [
      columns.lineNos,
      columns.msisdnKeys,
      columns.contractIds,
      columns.subscriberTypes,
      columns.hasSubscriberData,
      columns.contractStarts,
      columns.contractEnds,
    ],
  );
}

export interface MergeOutcome {
  /** Contracts inserted or changed (unchanged and superseded rows are not counted). */
  changed: number;
  /** Rows refused by the merge, with their line numbers. */
  conflicts: Array<{ lineNo: number; reason: string }>;
}

const OVERLAPS = (a: string, b: string) =>
  `${a}.contract_start < COALESCE(${b}.contract_end, 'infinity')
   AND ${b}.contract_start < COALESCE(${a}.contract_end, 'infinity')`;

/**
 * Merges the staged chunk into subscriber_contracts, set-based:
 * 1. a later line for the same (msisdn, contractId) supersedes an earlier one
 *    (the file is a series of upserts);
 * 2. a row whose period would overlap another contract of the same number —
 *    already in the base (and not being rewritten by this chunk) or on an
 *    earlier line of this chunk — is refused: at most one contract is valid
 *    at any instant (R4), and the partial unique index allows one open one;
 * 3. upsert, ended contracts first, so a chunk that ends one contract and
 *    opens the next never has two open at once. Unchanged rows are skipped.
 * Caller holds the chunk's transaction.
 */
export async function mergeStagedChunk(
  tx: Queryable,
  deps: { now: Date; ids: IdGenerator },
): Promise<MergeOutcome> {
  const { now } = deps;
  await tx.query(
    `DELETE FROM subscriber_import_staging s USING subscriber_import_staging t
     WHERE s.msisdn = t.msisdn AND s.contract_id = t.contract_id AND s.line_no < t.line_no`,
  );
  // Written as joins, not OR-ed EXISTS subplans (which PostgreSQL runs once
  // per row, scanning the staging table each time). The base is probed per
  // distinct number through the primary key: OFFSET 0 keeps the planner from
  // turning that into a scan of the whole base whatever its statistics say.
  // The probe also locks those contracts, number by number in order:
  // decisions lock the contracts they confirm on FOR SHARE in that order too
  // (DECISION_LOCK in subscriber-contract-store.ts), so a batch decision and
  // an import never wait for each other in a cycle. (The upsert below would
  // lock them anyway, but in two passes, out of order.) A fresh import finds
  // nothing to lock and pays only the sort.
  const { rows: conflicts } = await tx.query<{ line_no: string }>(
    `WITH base AS MATERIALIZED (
       SELECT e.* FROM (SELECT DISTINCT msisdn FROM subscriber_import_staging ORDER BY msisdn) n
       CROSS JOIN LATERAL (
         SELECT msisdn, contract_id, contract_start, contract_end FROM subscriber_contracts e
         WHERE e.msisdn = n.msisdn OFFSET 0 FOR UPDATE OF e) e
     ), kept AS (
       SELECT b.* FROM base b
       WHERE NOT EXISTS (SELECT 1 FROM subscriber_import_staging r
                         WHERE r.msisdn = b.msisdn AND r.contract_id = b.contract_id)
     ), conflicts AS (
       SELECT c.line_no FROM subscriber_import_staging c
       JOIN subscriber_import_staging o ON o.msisdn = c.msisdn AND o.contract_id <> c.contract_id
         AND o.line_no < c.line_no AND ${OVERLAPS('o', 'c')}
       UNION
       SELECT c.line_no FROM subscriber_import_staging c
       JOIN kept e ON e.msisdn = c.msisdn AND e.contract_id <> c.contract_id AND ${OVERLAPS('e', 'c')}
     )
     DELETE FROM subscriber_import_staging s USING conflicts WHERE s.line_no = conflicts.line_no
     RETURNING s.line_no`,
  );
  // Open contracts this chunk ends, read before the upsert changes them.
  const { rows: ended } = await tx.query<{
    msisdn: string;
    contract_id: string;
    contract_end: Date;
  }>(
    `SELECT s.msisdn::text AS msisdn, s.contract_id, s.contract_end
     FROM subscriber_import_staging s
     JOIN subscriber_contracts c ON c.msisdn = s.msisdn AND c.contract_id = s.contract_id
     WHERE s.contract_end IS NOT NULL AND c.contract_end IS NULL`,
  );
  let changed = 0;
  for (const endedFirst of [true, false]) {
    const { rowCount } = await tx.query(
      `INSERT INTO subscriber_contracts (msisdn, contract_id, subscriber_type, has_subscriber_data,
         contract_start, contract_end, updated_at)
       SELECT msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start,
         contract_end, $1
       FROM subscriber_import_staging WHERE (contract_end IS NOT NULL) = $2
       ON CONFLICT (msisdn, contract_id) DO UPDATE SET
         subscriber_type = excluded.subscriber_type,
         has_subscriber_data = excluded.has_subscriber_data,
         contract_start = excluded.contract_start,
         contract_end = excluded.contract_end,
         end_reason = CASE WHEN excluded.contract_end IS NOT DISTINCT FROM subscriber_contracts.contract_end
                           THEN subscriber_contracts.end_reason END,
         updated_at = excluded.updated_at
       WHERE (subscriber_contracts.subscriber_type, subscriber_contracts.has_subscriber_data,
              subscriber_contracts.contract_start, subscriber_contracts.contract_end)
         IS DISTINCT FROM (excluded.subscriber_type, excluded.has_subscriber_data,
              excluded.contract_start, excluded.contract_end)`,
      [now, endedFirst],
    );
    changed += rowCount;
  }
  // R7: contracts the file ends are notified like BSS events, in this chunk's transaction.
  if (ended.length > 0) {
    await writeNoticesForImportedEnds(
      tx,
      deps,
      ended.map((r) => ({
        msisdn: `+${r.msisdn}`,
        contractId: r.contract_id,
        contractEnd: new Date(r.contract_end),
      })),
    );
  }
  return {
    changed,
    conflicts: conflicts.map((row) => ({
      lineNo: Number(row.line_no),
      reason: 'its period overlaps another contract of the same number',
    })),
  };
}
