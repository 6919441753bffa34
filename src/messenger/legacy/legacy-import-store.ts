import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import type { FileIdentity } from '../../files/file-identity.js';
import { importRunStore } from '../../files/import-run-store.js';

export type LegacyRejectReason =
  | 'INVALID_NUMBER'
  | 'INVALID_RECORD'
  | 'DUPLICATE_USER_REF'
  | 'NUMBER_TAKEN';

/** The runs table of the legacy-user import. */
export const legacyImportRuns = importRunStore({
  table: 'legacy_import_runs',
  label: 'legacy import',
  rejectsBytes: false,
});

/**
 * Starts a run; earlier runs of the same file are marked superseded and
 * their rejects dropped, so a restarted import does not count a line twice.
 */
export async function insertLegacyImportRun(
  tx: Queryable,
  run: {
    runId: string;
    filePath: string;
    format: string;
    startOffset: number;
    startLineNo: number;
    now: Date;
  } & FileIdentity,
): Promise<void> {
  await tx.query(
    `DELETE FROM legacy_import_rejects WHERE run_id IN (
       SELECT run_id FROM legacy_import_runs WHERE file_size = $1 AND file_head_hash = $2)`,
    [run.fileSize, run.headHash],
  );
  await tx.query(
    `UPDATE legacy_import_runs SET status = 'superseded', updated_at = $3
     WHERE file_size = $1 AND file_head_hash = $2 AND status <> 'superseded'`,
    [run.fileSize, run.headHash, run.now],
  );
  await legacyImportRuns.insert(tx, {
    ...run,
    byteOffset: run.startOffset,
    lineNo: run.startLineNo,
  });
}

export interface LegacyChunkRows {
  lineNos: number[];
  userRefs: string[];
  msisdns: string[];
  userSinces: string[];
}

/**
 * Inserts one chunk of legacy users (state `legacy`, with their join date and
 * the `legacy → reconciliation` bookkeeping row) set-based, after setting
 * aside rows whose userRef is already imported or whose number already has
 * a live account (one live account per number). Returns those rows' reasons.
 * The caller deduplicated the chunk itself; runs inside the chunk's
 * transaction, one import at a time.
 */
export async function insertLegacyChunk(
  tx: Queryable,
  ids: IdGenerator,
  rows: LegacyChunkRows,
  now: Date,
): Promise<Array<{ lineNo: number; userRef: string; reason: LegacyRejectReason }>> {
  if (rows.lineNos.length === 0) return [];
  const { rows: clashes } = await tx.query<{ n: string; ref_taken: boolean }>(
    `SELECT i.n, EXISTS (SELECT 1 FROM legacy_users l WHERE l.user_ref = i.ref) AS ref_taken
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(ref, msisdn, n)
     WHERE EXISTS (SELECT 1 FROM legacy_users l WHERE l.user_ref = i.ref)
        OR EXISTS (SELECT 1 FROM users u WHERE u.msisdn = i.msisdn
                   AND u.state NOT IN ('suspended', 'deauthorized', 'deleted'))`,
    [rows.userRefs, rows.msisdns],
  );
  const rejected = new Map<number, LegacyRejectReason>();
  for (const c of clashes) {
    rejected.set(Number(c.n) - 1, c.ref_taken ? 'DUPLICATE_USER_REF' : 'NUMBER_TAKEN');
  }
  const keep = rows.lineNos.map((_, i) => i).filter((i) => !rejected.has(i));
  if (keep.length > 0) {
    const pick = <T>(a: T[]) => keep.map((i) => a[i] as T);
    const userIds = keep.map(() => ids());
    await tx.query(
      `INSERT INTO users (user_id, msisdn, state, legacy_user_since, created_at, updated_at)
       SELECT u.user_id, u.msisdn, 'legacy', u.since, $4, $4
       FROM unnest($1::uuid[], $2::text[], $3::date[]) AS u(user_id, msisdn, since)`,
      [userIds, pick(rows.msisdns), pick(rows.userSinces), now],
    );
    await tx.query(
      `INSERT INTO legacy_users (user_id, user_ref, status)
       SELECT u.user_id, u.ref, 'waiting' FROM unnest($1::uuid[], $2::text[]) AS u(user_id, ref)`,
      [userIds, pick(rows.userRefs)],
    );
    await tx.query(
      `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at)
       SELECT t.id, t.user_id, NULL, 'legacy', 'legacy import', $3
       FROM unnest($1::uuid[], $2::uuid[]) AS t(id, user_id)`,
      [userIds.map(() => ids()), userIds, now],
    );
  }
  return [...rejected].map(([i, reason]) => ({
    lineNo: rows.lineNos[i] as number,
    userRef: rows.userRefs[i] as string,
    reason,
  }));
}

export async function insertLegacyRejects(
  tx: Queryable,
  runId: string,
  rejects: Array<{ lineNo: number; userRef: string | null; reason: LegacyRejectReason }>,
): Promise<void> {
  if (rejects.length === 0) return;
  await tx.query(
    `INSERT INTO legacy_import_rejects (run_id, line_no, user_ref, reason)
     SELECT $1, r.line_no, r.user_ref, r.reason
     FROM unnest($2::bigint[], $3::text[], $4::text[]) AS r(line_no, user_ref, reason)`,
    [
      runId,
      rejects.map((r) => r.lineNo),
      rejects.map((r) => r.userRef),
      rejects.map((r) => r.reason),
    ],
  );
}
