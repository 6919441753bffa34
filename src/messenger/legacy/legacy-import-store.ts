import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';

export interface LegacyFileIdentity {
  fileSize: number;
  headHash: string;
}

export interface LegacyImportRun {
  runId: string;
  status: 'running' | 'finished' | 'superseded';
  byteOffset: number;
  lineNo: number;
  rowsImported: number;
  rowsRejected: number;
}

export type LegacyRejectReason =
  | 'INVALID_NUMBER'
  | 'INVALID_RECORD'
  | 'DUPLICATE_USER_REF'
  | 'NUMBER_TAKEN';

export async function findLatestLegacyImportRun(
  db: Queryable,
  file: LegacyFileIdentity,
): Promise<LegacyImportRun | null> {
  const { rows } = await db.query<{
    run_id: string;
    status: LegacyImportRun['status'];
    byte_offset: string;
    line_no: string;
    rows_imported: string;
    rows_rejected: string;
  }>(
    `SELECT run_id, status, byte_offset, line_no, rows_imported, rows_rejected
     FROM legacy_import_runs WHERE file_size = $1 AND file_head_hash = $2
     ORDER BY started_at DESC LIMIT 1`,
    [file.fileSize, file.headHash],
  );
  const r = rows[0];
  return r
    ? {
        runId: r.run_id,
        status: r.status,
        byteOffset: Number(r.byte_offset),
        lineNo: Number(r.line_no),
        rowsImported: Number(r.rows_imported),
        rowsRejected: Number(r.rows_rejected),
      }
    : null;
}

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
  } & LegacyFileIdentity,
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
  await tx.query(
    `INSERT INTO legacy_import_runs
       (run_id, file_path, file_size, file_head_hash, format, status, byte_offset, line_no,
        started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $8)`,
    [
      run.runId,
      run.filePath,
      run.fileSize,
      run.headHash,
      run.format,
      run.startOffset,
      run.startLineNo,
      run.now,
    ],
  );
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

/**
 * Moves the run past a committed chunk. The offset guard makes a second
 * process importing the same run fail instead of importing a chunk twice.
 */
export async function advanceLegacyImportRun(
  tx: Queryable,
  runId: string,
  step: {
    fromOffset: number;
    toOffset: number;
    lineNo: number;
    imported: number;
    rejected: number;
    now: Date;
  },
): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE legacy_import_runs
     SET byte_offset = $3, line_no = $4, rows_imported = rows_imported + $5,
         rows_rejected = rows_rejected + $6, updated_at = $7
     WHERE run_id = $1 AND byte_offset = $2 AND status = 'running'`,
    [runId, step.fromOffset, step.toOffset, step.lineNo, step.imported, step.rejected, step.now],
  );
  if (rowCount !== 1) {
    throw new IdbridgeError(
      'CONFLICT',
      `legacy import run ${runId} was advanced by another process`,
    );
  }
}

export async function finishLegacyImportRun(
  db: Queryable,
  runId: string,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE legacy_import_runs SET status = 'finished', finished_at = $2, updated_at = $2
     WHERE run_id = $1`,
    [runId, now],
  );
}
