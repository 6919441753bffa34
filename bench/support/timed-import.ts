import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { createSilentLogger } from '../../src/core/logger.js';
import type { Database } from '../../src/db/port.js';
import { importSubscribers } from '../../src/operator/subscribers/import-subscribers.js';
import { createPostgresBulkLoader } from '../../src/operator/subscribers/postgres-bulk-loader.js';
import { writeSyntheticSubscriberCsv } from './synthetic-subscribers.js';

export interface TimedImport {
  rows: number;
  /** Numbers [0, numbers) are in the base afterwards. */
  numbers: number;
  rowsImported: number;
  rowsRejected: number;
  seconds: number;
  fileMb: number;
}

/**
 * Writes a synthetic subscriber CSV of `rows` lines and imports it with the
 * production import (importSubscribers, COPY through the PostgreSQL bulk
 * loader) — the same path as bench/operator-import.ts, on this benchmark's
 * base. Only the import is timed; the file is deleted afterwards.
 */
export async function runTimedImport(options: {
  db: Database;
  url: string;
  schema: string;
  rows: number;
  chunkLines: number;
  progress: (message: string) => void;
}): Promise<TimedImport> {
  const file = join(tmpdir(), `${options.schema}.csv`);
  const bulkLoader = createPostgresBulkLoader({ url: options.url, schema: options.schema });
  try {
    const { numbers } = await writeSyntheticSubscriberCsv(file, options.rows);
    const fileMb = statSync(file).size / 1024 / 1024;
    const started = performance.now();
    let lastReport = started;
    const summary = await importSubscribers({
      db: options.db,
      file,
      format: 'csv',
      clock: systemClock,
      log: createSilentLogger(),
      bulkLoader,
      batchSize: options.chunkLines,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          options.progress(`  ${p.linesDone.toLocaleString('en-US')} lines imported`);
        }
      },
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      rows: options.rows,
      numbers,
      rowsImported: summary.rowsImported,
      rowsRejected: summary.rowsRejected,
      seconds,
      fileMb,
    };
  } finally {
    await bulkLoader.close();
    rmSync(file, { force: true });
    rmSync(`${file}.rejects.csv`, { force: true });
  }
}
