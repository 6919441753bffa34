import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/core/clock.js';
import { createSilentLogger } from '../src/core/logger.js';
import { migrate } from '../src/db/migrator.js';
import { createPostgresDatabase } from '../src/db/postgres-driver.js';
import { readCsvBatches } from '../src/files/read-csv-batches.js';
import { readLineBatches } from '../src/files/read-line-batches.js';
import { importSubscribers } from '../src/operator/subscribers/import-subscribers.js';
import { createPostgresBulkLoader } from '../src/operator/subscribers/postgres-bulk-loader.js';
import { type Benchmark, round, rssMb } from './harness/benchmark.js';

/**
 * Bulk import of a subscriber CSV into PostgreSQL (nodes.md: 10M rows in
 * minutes). `npm run bench -- operator-import [--rows N] [--batch N]`.
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) on a
 * fresh schema, dropped afterwards. Rows: 80% numbers with one open contract,
 * 20% in pairs (an ended contract, then the open one), 1 in 100,000 malformed.
 */
function argValue(args: string[], name: string): number | undefined {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : undefined;
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

async function writeSubscriberCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd\n');
  let parts: string[] = [];
  for (let i = 0; i < rows; i++) {
    const pair = i % 10;
    const number = 79_000_000_000 + (pair === 9 ? i - 1 : i);
    let line: string;
    if (i % 100_000 === 99_999) line = `bad-${i},k-${i},individual,true,2020-01-01,`;
    else if (pair === 8) line = `+${number},k-${i},individual,true,2015-03-01,2019-05-01T12:00:00Z`;
    else {
      const type = i % 7 === 0 ? 'corporate' : 'individual';
      line = `+${number},k-${i},${type},${i % 13 !== 0},2019-05-01T12:00:00Z,`;
    }
    parts.push(line);
    if (parts.length === 10_000) {
      if (!out.write(`${parts.join('\n')}\n`)) await once(out, 'drain');
      parts = [];
    }
  }
  if (parts.length > 0) out.write(`${parts.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}

/** CPU to read every record of the file: by the shipped CSV reader, or a plain split (the floor). */
async function readCpu(
  file: string,
  how: 'csv' | 'floor',
): Promise<{ rows: number; cpuUs: number }> {
  const from = { startOffset: 0, startLineNo: 0, batchSize: 100_000 };
  const before = process.cpuUsage();
  let rows = 0;
  if (how === 'csv') {
    for await (const batch of readCsvBatches(file, from)) rows += batch.records.length;
  } else {
    for await (const batch of readLineBatches(file, from)) {
      for (const record of batch.records) rows += record.value.split(',').length > 0 ? 1 : 0;
    }
  }
  const used = process.cpuUsage(before);
  return { rows, cpuUs: used.user + used.system };
}

const run: Benchmark = async (ctx) => {
  const rows = argValue(ctx.args, '--rows') ?? 10_000_000;
  const batchSize = argValue(ctx.args, '--batch') ?? 100_000;
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_import_${randomBytes(4).toString('hex')}`;
  const file = join(tmpdir(), `${schema}.csv`);

  ctx.progress(`writing ${rows.toLocaleString('en-US')} rows to ${file}`);
  await writeSubscriberCsv(file, rows);
  const fileMb = statSync(file).size / 1024 / 1024;
  ctx.progress(
    'reading the file twice without a database: a plain line split, then the CSV reader',
  );
  const floor = await readCpu(file, 'floor');
  const reader = await readCpu(file, 'csv');

  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = createPostgresDatabase({ url, schema, poolSize: 2 });
  const bulkLoader = createPostgresBulkLoader({ url, schema });
  let peakRss = rssMb();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssMb());
  }, 200);
  try {
    await migrate(db, ['shared', 'operator']);
    const rssBefore = rssMb();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let lastReport = started;
    const summary = await importSubscribers({
      db,
      file,
      format: 'csv',
      clock: systemClock,
      log: createSilentLogger(),
      bulkLoader,
      batchSize,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastReport > 10_000) {
          lastReport = now;
          ctx.progress(
            `${p.linesDone.toLocaleString('en-US')} lines, ${Math.round((p.linesDone / (now - started)) * 1000)} lines/s, rss ${Math.round(rssMb())} MiB`,
          );
        }
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const importCpuUs = cpuUsed.user + cpuUsed.system;
    peakRss = Math.max(peakRss, rssMb());
    const total = summary.rowsImported + summary.rowsRejected;
    return {
      figures: [
        {
          key: 'rowsPerSecond',
          value: Math.round(total / seconds),
          label: 'rows imported per second',
        },
        { key: 'importSeconds', value: round(seconds, 1), label: 'import time (s)' },
        {
          key: 'importCpuUsPerRow',
          value: round(importCpuUs / total, 2),
          label: 'import, this process CPU µs per row (PostgreSQL not counted)',
        },
        {
          key: 'csvReaderCpuUsPerRow',
          value: round(reader.cpuUs / reader.rows, 2),
          label: 'CSV reader (csv-parse) alone, CPU µs per row',
        },
        {
          key: 'lineSplitCpuUsPerRow',
          value: round(floor.cpuUs / floor.rows, 2),
          label: 'floor: lines split at commas (no quoting), CPU µs per row',
        },
        {
          key: 'csvReaderToFloorRatio',
          value: round(reader.cpuUs / reader.rows / (floor.cpuUs / floor.rows), 2),
          label: 'CSV reader ÷ floor, CPU per row (same run)',
        },
        { key: 'peakRssMb', value: round(peakRss, 0), label: 'peak RSS during import (MiB)' },
        { key: 'rssBeforeMb', value: round(rssBefore, 0), label: 'RSS before import (MiB)' },
      ],
      parameters: {
        rows,
        batchSize,
        fileMb: round(fileMb, 0),
        rowsImported: summary.rowsImported,
        rowsRejected: summary.rowsRejected,
        database: 'postgresql (COPY into a temp staging table, set-based merge per chunk)',
      },
    };
  } finally {
    clearInterval(sampler);
    await bulkLoader.close();
    await db.close();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    rmSync(file, { force: true });
    rmSync(`${file}.rejects.csv`, { force: true });
  }
};

/** Runs on PostgreSQL: the harness stands in for autovacuum where the server has it off. */
export const usesPostgres = true;

export default run;
