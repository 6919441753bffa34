import { extname, resolve } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Database } from '../../db/port.js';
import { identifyFile } from '../../files/file-identity.js';
import { openLegacyFile } from './legacy-file-records.js';
import {
  insertLegacyChunk,
  insertLegacyImportRun,
  insertLegacyRejects,
  type LegacyChunkRows,
  type LegacyRejectReason,
  legacyImportRuns,
} from './legacy-import-store.js';
import type { LegacyFileFormat } from './parse-legacy-record.js';

export interface ImportLegacyUsersOptions {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  file: string;
  /** Default: from the extension (.csv; .ndjson, .jsonl). */
  format?: LegacyFileFormat;
  /** Records per transaction; default 10,000. */
  chunkLines?: number;
  /** Import from the first line even if this file was imported before. */
  restart?: boolean;
  /** Stops after the chunk being committed; the next call resumes there. */
  signal?: AbortSignal;
  onProgress?: (p: {
    bytesDone: number;
    bytesTotal: number;
    imported: number;
    rejected: number;
  }) => void;
}

export interface LegacyImportSummary {
  runId: string;
  outcome: 'finished' | 'already_imported';
  resumedAfterLine: number;
  imported: number;
  rejected: number;
  /** Rejected lines by reason, for this run (see legacy_import_rejects). */
  rejectedBy: Partial<Record<LegacyRejectReason, number>>;
}

export function legacyFormatFromFileName(file: string): LegacyFileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  throw new Error(`cannot tell the format of ${file} from its extension; pass --format csv|ndjson`);
}

/**
 * `import-users` (R9): streams a legacy user file (CSV or NDJSON: userRef,
 * number as typed, userSince) into users in state `legacy`, numbers
 * normalized, with constant memory. Each chunk is one transaction (users,
 * their bookkeeping rows, rejects and the run's offset), so a crash or abort
 * loses at most the chunk in flight and the next call with the same file
 * resumes after the last committed chunk; a finished file is a no-op unless
 * `restart`. Invalid numbers are recorded as rejects, not users; so are
 * records without userRef or join date, a userRef seen before, and a number
 * that already has a live account.
 *
 * Concurrency: one import per file at a time (a second process fails at its
 * first commit on the run's offset guard).
 */
export async function importLegacyUsers(
  options: ImportLegacyUsersOptions,
): Promise<LegacyImportSummary> {
  const { db, clock, ids, log } = options;
  const file = resolve(options.file);
  const format = options.format ?? legacyFormatFromFileName(file);
  const identity = await identifyFile(file);
  const previous = await legacyImportRuns.findLatest(db, identity);
  if (previous?.status === 'finished' && !options.restart) {
    return {
      runId: previous.runId,
      outcome: 'already_imported',
      resumedAfterLine: previous.lineNo,
      imported: previous.rowsImported,
      rejected: previous.rowsRejected,
      rejectedBy: await countRejects(db, previous.runId),
    };
  }
  const source = await openLegacyFile(file, format);
  const resume = previous?.status === 'running' && !options.restart;
  // A fresh CSV run starts after its header line.
  const run = resume
    ? previous
    : {
        runId: ids(),
        byteOffset: source.dataStart.offset,
        lineNo: source.dataStart.lineNo,
        rowsImported: 0,
        rowsRejected: 0,
      };
  if (!resume) {
    await db.transaction((tx) =>
      insertLegacyImportRun(tx, {
        ...identity,
        runId: run.runId,
        filePath: file,
        format,
        startOffset: run.byteOffset,
        startLineNo: run.lineNo,
        now: clock.now(),
      }),
    );
  }
  const resumedAfterLine = resume ? run.lineNo : 0;
  log.info({ runId: run.runId, afterLine: run.lineNo }, 'importing legacy users');

  const from = { offset: run.byteOffset, lineNo: run.lineNo };
  for await (const chunk of source.batches(from, options.chunkLines ?? 10_000)) {
    if (options.signal?.aborted) throw options.signal.reason;
    const valid: LegacyChunkRows = { lineNos: [], userRefs: [], msisdns: [], userSinces: [] };
    const rejects: Array<{ lineNo: number; userRef: string | null; reason: LegacyRejectReason }> =
      [];
    const refs = new Set<string>();
    const numbers = new Set<string>();
    for (const { lineNo, value: rec } of chunk.records) {
      if (!rec.ok) {
        rejects.push({ lineNo, userRef: rec.userRef, reason: rec.reason });
      } else if (refs.has(rec.userRef)) {
        rejects.push({ lineNo, userRef: rec.userRef, reason: 'DUPLICATE_USER_REF' });
      } else if (numbers.has(rec.msisdn)) {
        rejects.push({ lineNo, userRef: rec.userRef, reason: 'NUMBER_TAKEN' });
      } else {
        refs.add(rec.userRef);
        numbers.add(rec.msisdn);
        valid.lineNos.push(lineNo);
        valid.userRefs.push(rec.userRef);
        valid.msisdns.push(rec.msisdn);
        valid.userSinces.push(rec.userSince);
      }
    }
    const fromOffset = run.byteOffset;
    const done = await db.transaction(async (tx) => {
      const now = clock.now();
      const clashes = await insertLegacyChunk(tx, ids, valid, now);
      const all = [...rejects, ...clashes];
      await insertLegacyRejects(tx, run.runId, all);
      const imported = valid.lineNos.length - clashes.length;
      await legacyImportRuns.advance(tx, run.runId, {
        fromOffset,
        toOffset: chunk.endOffset,
        lineNo: chunk.lastLineNo,
        imported,
        rejected: all.length,
        now,
      });
      return { imported, rejected: all.length };
    });
    run.byteOffset = chunk.endOffset;
    run.lineNo = chunk.lastLineNo;
    run.rowsImported += done.imported;
    run.rowsRejected += done.rejected;
    options.onProgress?.({
      bytesDone: run.byteOffset,
      bytesTotal: identity.fileSize,
      imported: run.rowsImported,
      rejected: run.rowsRejected,
    });
  }
  if (options.signal?.aborted) throw options.signal.reason;
  await legacyImportRuns.finish(db, run.runId, clock.now());
  log.info(
    { runId: run.runId, imported: run.rowsImported, rejected: run.rowsRejected },
    'legacy users imported',
  );
  return {
    runId: run.runId,
    outcome: 'finished',
    resumedAfterLine,
    imported: run.rowsImported,
    rejected: run.rowsRejected,
    rejectedBy: await countRejects(db, run.runId),
  };
}

async function countRejects(
  db: Database,
  runId: string,
): Promise<Partial<Record<LegacyRejectReason, number>>> {
  const { rows } = await db.query<{ reason: LegacyRejectReason; n: string }>(
    'SELECT reason, count(*) AS n FROM legacy_import_rejects WHERE run_id = $1 GROUP BY reason',
    [runId],
  );
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
}
