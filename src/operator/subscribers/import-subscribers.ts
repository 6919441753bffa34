import { closeSync, existsSync, ftruncateSync, openSync, statSync, writeSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { type IdGenerator, newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Database, Queryable } from '../../db/port.js';
import { identifyFile } from '../../files/file-identity.js';
import { loadChunkIntoStaging } from './load-import-chunk.js';
import { csvField } from './parse-subscriber-record.js';
import type { BulkLoader } from './postgres-bulk-loader.js';
import { type CheckedChunk, openSubscriberFile } from './subscriber-file-records.js';
import {
  mergeStagedChunk,
  prepareStaging,
  subscriberImportRuns,
} from './subscriber-import-store.js';

export type SubscriberFileFormat = 'csv' | 'ndjson';

export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
  /** Last line committed (physical line number). */
  linesDone: number;
  rowsImported: number;
  rowsRejected: number;
}

export interface ImportSubscribersOptions {
  db: Database;
  file: string;
  /** Default: from the extension (.csv; .ndjson, .jsonl). */
  format?: SubscriberFileFormat;
  clock: Clock;
  log: Logger;
  /** PostgreSQL: load chunks with COPY over this connection (createPostgresBulkLoader). */
  bulkLoader?: BulkLoader;
  /** Default `<file>.rejects.csv`. */
  rejectsFile?: string;
  /** Records per chunk; one chunk is one transaction. Default 100,000. */
  batchSize?: number;
  /** Import again from the first line even if this file was imported or partly imported. */
  restart?: boolean;
  /** Stops after the chunk being committed; the run resumes from there. */
  signal?: AbortSignal;
  /** After every committed chunk; a throw stops the import (the chunk stays committed). */
  onProgress?: (progress: ImportProgress) => void | Promise<void>;
  /** Ids of runs and of the notices for contracts the file ends; default newId. */
  ids?: IdGenerator;
}

export interface ImportSummary {
  runId: string;
  outcome: 'finished' | 'already_imported';
  /** Line the run continued after (0 for a fresh run). */
  resumedAfterLine: number;
  linesDone: number;
  rowsImported: number;
  rowsRejected: number;
  rejectsFile: string;
}

export function formatFromFileName(file: string): SubscriberFileFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  throw new Error(`cannot tell the format of ${file} from its extension; pass --format csv|ndjson`);
}

/**
 * Imports a subscriber file (CSV with header, or NDJSON) into the base.
 *
 * Streamed in chunks of `batchSize` records with constant memory; each chunk is
 * one transaction: staged (COPY on PostgreSQL via `bulkLoader`, multi-row
 * INSERT otherwise), merged set-based (rows are upserts by (msisdn,
 * contractId)), and the run row advanced to the chunk's end offset. So a
 * crash or abort loses at most the chunk in flight, and the next call with
 * the same file resumes after the last committed chunk; a finished file is
 * a no-op unless `restart`. Bad rows go to the rejects file with their line
 * number and reason; the rejects file is truncated on resume to what the
 * committed chunks wrote, so no reject is listed twice.
 *
 * Parsing of the next chunk overlaps the commit of the current one.
 *
 * Concurrency: one import per file at a time; a second process importing the
 * same run fails at its first commit (the run row's offset guard).
 *
 * R7: contracts the file ends close their register entries and get their
 * notices in the chunk's transaction, as a BSS event would.
 */
export async function importSubscribers(options: ImportSubscribersOptions): Promise<ImportSummary> {
  const { db, clock, log } = options;
  const ids = options.ids ?? newId;
  const file = resolve(options.file);
  const format = options.format ?? formatFromFileName(file);
  const batchSize = options.batchSize ?? 100_000;
  const rejectsFile = options.rejectsFile ?? `${file}.rejects.csv`;
  const identity = await identifyFile(file);
  const source = await openSubscriberFile(file, format);

  const previous = await subscriberImportRuns.findLatest(db, identity);
  if (previous?.status === 'finished' && !options.restart) {
    log.info({ runId: previous.runId }, 'subscriber file already imported; nothing to do');
    return summary(previous.runId, 'already_imported', previous.lineNo, previous, rejectsFile);
  }

  let run: {
    runId: string;
    byteOffset: number;
    lineNo: number;
    rowsImported: number;
    rowsRejected: number;
    rejectsBytes: number;
  };
  const header = 'line,reason,record\n';
  if (previous?.status === 'running' && !options.restart) {
    run = previous;
    if (existsSync(rejectsFile) && statSync(rejectsFile).size >= run.rejectsBytes) {
      const fd = openSync(rejectsFile, 'r+');
      ftruncateSync(fd, run.rejectsBytes);
      closeSync(fd);
    } else {
      log.warn(
        { rejectsFile },
        'rejects file of the interrupted run is missing or short; starting it anew',
      );
      writeNewRejectsFile(rejectsFile, header);
      run.rejectsBytes = Buffer.byteLength(header);
    }
    log.info({ runId: run.runId, afterLine: run.lineNo }, 'resuming subscriber import');
  } else {
    writeNewRejectsFile(rejectsFile, header);
    run = {
      runId: ids(),
      byteOffset: source.dataStart.offset,
      lineNo: source.dataStart.lineNo,
      rowsImported: 0,
      rowsRejected: 0,
      rejectsBytes: Buffer.byteLength(header),
    };
    await subscriberImportRuns.insert(db, {
      ...run,
      filePath: file,
      ...identity,
      format,
      now: clock.now(),
    });
    log.info({ runId: run.runId, format }, 'starting subscriber import');
  }
  const resumedAfterLine = previous?.status === 'running' && !options.restart ? run.lineNo : 0;

  const rejectsFd = openSync(rejectsFile, 'a');
  const commit = async (chunk: CheckedChunk) => {
    const work = async (tx: Queryable) => {
      await prepareStaging(tx);
      await loadChunkIntoStaging(tx, chunk.columns);
      const merge =
        chunk.columns.lineNos.length > 0
          ? await mergeStagedChunk(tx, { now: clock.now(), ids })
          : { changed: 0, conflicts: [] };
      const rejects = [...chunk.rejects, ...merge.conflicts].sort((a, b) => a.lineNo - b.lineNo);
      const text = rejects
        .map((r) => `${r.lineNo},${csvField(r.reason)},${csvField(chunk.textAt(r.lineNo))}\n`)
        .join('');
      const rejectsBytes = run.rejectsBytes + (text ? writeSync(rejectsFd, text) : 0);
      const imported = chunk.columns.lineNos.length - merge.conflicts.length;
      await subscriberImportRuns.advance(tx, run.runId, {
        fromOffset: run.byteOffset,
        toOffset: chunk.endOffset,
        lineNo: chunk.lastLineNo,
        imported,
        rejected: rejects.length,
        rejectsBytes,
        now: clock.now(),
      });
      return { imported, rejected: rejects.length, rejectsBytes };
    };
    const done = options.bulkLoader
      ? await options.bulkLoader.transaction(work)
      : await db.transaction(work);
    run.byteOffset = chunk.endOffset;
    run.lineNo = chunk.lastLineNo;
    run.rowsImported += done.imported;
    run.rowsRejected += done.rejected;
    run.rejectsBytes = done.rejectsBytes;
    await options.onProgress?.({
      bytesDone: run.byteOffset,
      bytesTotal: identity.fileSize,
      linesDone: run.lineNo,
      rowsImported: run.rowsImported,
      rowsRejected: run.rowsRejected,
    });
  };

  try {
    let pending: Promise<void> | null = null;
    // A run from before data started after the header resumes past it.
    const from =
      run.byteOffset < source.dataStart.offset
        ? source.dataStart
        : { offset: run.byteOffset, lineNo: run.lineNo };
    for await (const chunk of source.chunks(from, batchSize)) {
      if (pending) await pending;
      throwIfAborted(options.signal);
      pending = commit(chunk);
      // Handled at the next await; this only keeps it from counting as unhandled meanwhile.
      pending.catch(() => {});
    }
    if (pending) await pending;
    throwIfAborted(options.signal);
    await subscriberImportRuns.finish(db, run.runId, clock.now());
  } finally {
    closeSync(rejectsFd);
  }
  log.info(
    { runId: run.runId, rowsImported: run.rowsImported, rowsRejected: run.rowsRejected },
    'subscriber import finished',
  );
  return summary(run.runId, 'finished', resumedAfterLine, run, rejectsFile);
}

function summary(
  runId: string,
  outcome: ImportSummary['outcome'],
  resumedAfterLine: number,
  run: { lineNo: number; rowsImported: number; rowsRejected: number },
  rejectsFile: string,
): ImportSummary {
  return {
    runId,
    outcome,
    resumedAfterLine,
    linesDone: run.lineNo,
    rowsImported: run.rowsImported,
    rowsRejected: run.rowsRejected,
    rejectsFile,
  };
}

function writeNewRejectsFile(path: string, header: string): void {
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  closeSync(fd);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('subscriber import aborted');
  }
}
