import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import { migrate } from '../../db/migrator.js';
import {
  formatFromFileName,
  importSubscribers,
  type SubscriberFileFormat,
} from '../../operator/subscribers/import-subscribers.js';
import {
  type BulkLoader,
  createPostgresBulkLoader,
} from '../../operator/subscribers/postgres-bulk-loader.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';

interface ImportSubscribersFlags {
  config?: string;
  format?: string;
  rejects?: string;
  batch?: string;
  restart?: boolean;
  progress: boolean;
}

/** `idbridge operator import-subscribers FILE`: the bulk load of the subscriber base. */
export function registerImportSubscribersCommand(operatorCommand: Command): void {
  operatorCommand
    .command('import-subscribers <file>')
    .description(
      'import a subscriber file (CSV with header msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd, or NDJSON with the same keys; msisdn is a Russian mobile number, +79161234567 or as people type it, 89161234567, by the one number rule of every input; quoted CSV fields may hold commas, quotes and line breaks); resumes an interrupted import of the same file',
    )
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--format <format>', 'csv | ndjson (default: from the file extension)')
    .option('--rejects <file>', 'where rejected rows go (default: <file>.rejects.csv)')
    .option('--batch <n>', 'records per transaction (default 100000)')
    .option('--restart', 'import from the first line even if this file was imported before')
    .option('--no-progress', 'no progress bar (logs only)')
    .action(async (file: string, _flags: ImportSubscribersFlags, command: Command) => {
      // -c may sit before or after the subcommand; commander gives it to `operator` when after.
      const opts = command.optsWithGlobals<ImportSubscribersFlags>();
      const format = (opts.format ?? formatFromFileName(file)) as SubscriberFileFormat;
      if (format !== 'csv' && format !== 'ndjson')
        throw new IdbridgeError('INVALID_ARGUMENT', '--format must be csv or ndjson');
      const batchSize = opts.batch === undefined ? undefined : Number(opts.batch);
      if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
        throw new IdbridgeError('INVALID_ARGUMENT', '--batch must be a positive integer');
      }
      const { config, log } = createCliContext(opts.config);
      const db = await openCliDatabase(config.database);
      let bulkLoader: BulkLoader | undefined;
      // The first Ctrl-C stops after the chunk being committed; run again to resume.
      const controller = new AbortController();
      const onSignal = () =>
        controller.abort(new Error('interrupted; run the same command to resume'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const bar = new cliProgress.SingleBar(
        {
          format:
            'importing [{bar}] {percentage}% | {rows} rows, {rejected} rejected | {rate} rows/s | ETA {eta_formatted}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      try {
        await migrate(db, ['shared', 'operator']);
        if (config.database.url) {
          bulkLoader = createPostgresBulkLoader({ url: config.database.url, schema: db.schema });
        }
        const started = Date.now();
        let startRows: number | null = null;
        if (opts.progress) {
          bar.start(statSync(file).size, 0, { rows: 0, rejected: 0, rate: 0 });
        }
        const result = await importSubscribers({
          db,
          file,
          format,
          clock: systemClock,
          log,
          bulkLoader,
          rejectsFile: opts.rejects,
          batchSize,
          restart: opts.restart === true,
          signal: controller.signal,
          onProgress: (p) => {
            startRows ??= p.rowsImported + p.rowsRejected;
            const seconds = Math.max((Date.now() - started) / 1000, 0.001);
            const rate = Math.round((p.rowsImported + p.rowsRejected - startRows) / seconds);
            if (opts.progress) {
              bar.update(p.bytesDone, { rows: p.rowsImported, rejected: p.rowsRejected, rate });
            }
          },
        });
        if (opts.progress) bar.stop();
        const seconds = (Date.now() - started) / 1000;
        console.log(
          result.outcome === 'already_imported'
            ? `already imported (run ${result.runId}): ${result.rowsImported} rows, ${result.rowsRejected} rejected; use --restart to import again`
            : `imported ${result.rowsImported} rows, rejected ${result.rowsRejected} (see ${result.rejectsFile}) in ${seconds.toFixed(1)} s` +
                (result.resumedAfterLine > 0
                  ? `, resumed after line ${result.resumedAfterLine}`
                  : ''),
        );
      } finally {
        if (opts.progress) bar.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await bulkLoader?.close();
        await db.close();
      }
    });
}
