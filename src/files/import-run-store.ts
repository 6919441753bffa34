import { IdbridgeError } from '../core/errors.js';
import type { Queryable } from '../db/port.js';
import type { FileIdentity } from './file-identity.js';

/**
 * The runs table that makes a file import resumable: one row per run of a
 * file (known by its identity, not its path), holding how far the committed
 * chunks got. The subscriber import and the legacy-user import each have
 * such a table with these columns; the subscriber one also keeps how long
 * its rejects file was at the last commit.
 */
export interface ImportRunTable {
  table: 'subscriber_import_runs' | 'legacy_import_runs';
  /** Named in errors: "subscriber import run …". */
  label: string;
  /** Whether the table has `rejects_bytes`. */
  rejectsBytes: boolean;
}

export interface ImportRun {
  runId: string;
  status: 'running' | 'finished' | 'superseded';
  byteOffset: number;
  lineNo: number;
  rowsImported: number;
  rowsRejected: number;
  /** Size of the rejects file at the last commit; 0 where the table keeps none. */
  rejectsBytes: number;
}

export interface ImportStep {
  fromOffset: number;
  toOffset: number;
  lineNo: number;
  imported: number;
  rejected: number;
  rejectsBytes?: number;
  now: Date;
}

interface ImportRunRow {
  run_id: string;
  status: ImportRun['status'];
  byte_offset: string;
  line_no: string;
  rows_imported: string;
  rows_rejected: string;
  rejects_bytes: string;
}

export function importRunStore(runs: ImportRunTable) {
  const rejectsColumn = runs.rejectsBytes ? 'rejects_bytes' : '0 AS rejects_bytes';
  return {
    /** The latest run of a file with this identity, if any. */
    async findLatest(db: Queryable, file: FileIdentity): Promise<ImportRun | null> {
      const { rows } = await db.query<ImportRunRow>(
        `SELECT run_id, status, byte_offset, line_no, rows_imported, rows_rejected, ${rejectsColumn}
         FROM ${runs.table} WHERE file_size = $1 AND file_head_hash = $2
         ORDER BY started_at DESC, run_id DESC LIMIT 1`,
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
            rejectsBytes: Number(r.rejects_bytes),
          }
        : null;
    },

    async insert(
      db: Queryable,
      run: FileIdentity & {
        runId: string;
        filePath: string;
        format: string;
        byteOffset: number;
        lineNo: number;
        rejectsBytes?: number;
        now: Date;
      },
    ): Promise<void> {
      const params = [
        run.runId,
        run.filePath,
        run.fileSize,
        run.headHash,
        run.format,
        run.byteOffset,
        run.lineNo,
        run.now,
      ];
      await db.query(
        `INSERT INTO ${runs.table} (run_id, file_path, file_size, file_head_hash, format, status,
           byte_offset, line_no, started_at, updated_at${runs.rejectsBytes ? ', rejects_bytes' : ''})
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $8${runs.rejectsBytes ? ', $9' : ''})`,
        runs.rejectsBytes ? [...params, run.rejectsBytes ?? 0] : params,
      );
    },

    /**
     * Moves the run past a committed chunk, in that chunk's transaction. The
     * `fromOffset` guard makes a second process importing the same run fail
     * instead of importing a chunk twice.
     */
    async advance(tx: Queryable, runId: string, step: ImportStep): Promise<void> {
      const params = [
        runId,
        step.fromOffset,
        step.toOffset,
        step.lineNo,
        step.imported,
        step.rejected,
        step.now,
      ];
      const { rowCount } = await tx.query(
        `UPDATE ${runs.table} SET byte_offset = $3, line_no = $4,
           rows_imported = rows_imported + $5, rows_rejected = rows_rejected + $6,
           updated_at = $7${runs.rejectsBytes ? ', rejects_bytes = $8' : ''}
         WHERE run_id = $1 AND byte_offset = $2 AND status = 'running'`,
        runs.rejectsBytes ? [...params, step.rejectsBytes ?? 0] : params,
      );
      if (rowCount !== 1) {
        throw new IdbridgeError(
          'CONFLICT',
          `${runs.label} run ${runId} was advanced by another process; stopping`,
        );
      }
    },

    async finish(db: Queryable, runId: string, now: Date): Promise<void> {
      await db.query(
        `UPDATE ${runs.table} SET status = 'finished', finished_at = $2, updated_at = $2
         WHERE run_id = $1`,
        [runId, now],
      );
    },
  };
}
