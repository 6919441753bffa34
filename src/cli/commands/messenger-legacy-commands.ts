import { statSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import {
  importLegacyUsers,
  type LegacyFileFormat,
  type LegacySummary,
  legacyFormatFromFileName,
  type OperatorProgress,
  reconcileLegacyUsers,
} from '../../messenger/legacy/index.js';
import {
  openLegacyReconciler,
  openMessengerDatabase,
  readLegacyConfig,
} from '../../messenger/legacy/open-legacy-reconciler.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';

interface Flags {
  config?: string;
  format?: string;
  chunk?: string;
  restart?: boolean;
  batchSize?: string;
  maxInFlight?: string;
  perOperator?: string;
  progress: boolean;
}

/**
 * `idbridge messenger import-users FILE` and `idbridge messenger reconcile`
 * (R9, I1). Both stop cleanly on the first Ctrl-C (the chunk or the batches
 * in flight are committed) and resume when run again.
 */
export function registerLegacyCommands(messengerCommand: Command): void {
  messengerCommand
    .command('import-users <file>')
    .description(
      'import legacy users (CSV with header userRef,number,userSince, or NDJSON with those keys) in state legacy; resumes an interrupted import of the same file',
    )
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--format <format>', 'csv | ndjson (default: from the file extension)')
    .option('--chunk <n>', 'records per transaction (default 10000)')
    .option('--restart', 'import from the first line even if this file was imported before')
    .option('--no-progress', 'no progress bar (logs only)')
    .action(async (file: string, _opts: Flags, command: Command) => {
      const opts = command.optsWithGlobals<Flags>();
      const format = (opts.format ?? legacyFormatFromFileName(file)) as LegacyFileFormat;
      if (format !== 'csv' && format !== 'ndjson') {
        throw new IdbridgeError('INVALID_ARGUMENT', '--format must be csv or ndjson');
      }
      const chunkLines = positive(opts.chunk, '--chunk');
      const { config, log } = createCliContext(opts.config);
      const db = await openMessengerDatabase(config, openCliDatabase);
      const stop = interruptible();
      const tty = opts.progress && process.stdout.isTTY === true;
      const bar = new cliProgress.SingleBar(
        {
          format:
            'importing [{bar}] {percentage}% | {imported} users, {rejected} rejected | ETA {eta_formatted}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      try {
        if (tty) bar.start(statSync(file).size, 0, { imported: 0, rejected: 0 });
        const result = await importLegacyUsers({
          db,
          clock: systemClock,
          ids: newId,
          log,
          file,
          format,
          chunkLines,
          restart: opts.restart === true,
          signal: stop.signal,
          onProgress: (p) => {
            if (tty) bar.update(p.bytesDone, { imported: p.imported, rejected: p.rejected });
          },
        });
        if (tty) bar.stop();
        const by = Object.entries(result.rejectedBy)
          .map(([reason, n]) => `${reason} ${n}`)
          .join(', ');
        console.log(
          result.outcome === 'already_imported'
            ? `already imported (run ${result.runId}): ${result.imported} users, ${result.rejected} rejected; use --restart to import again`
            : `imported ${result.imported} legacy users, rejected ${result.rejected}${by ? ` (${by})` : ''}` +
                (result.resumedAfterLine > 0
                  ? `, resumed after line ${result.resumedAfterLine}`
                  : ''),
        );
      } finally {
        if (tty) bar.stop();
        stop.dispose();
        await db.close();
      }
    });

  messengerCommand
    .command('reconcile')
    .description(
      'reconcile legacy users with the operators (R9, I1): route, send batches, identify matches, suspend the rest; resumable',
    )
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--batch-size <n>', 'items per batch (default messenger.legacy.batchSize, 10000)')
    .option('--max-in-flight <n>', 'batches in flight across operators (default 8)')
    .option('--per-operator <n>', 'batches in flight per operator (default 2)')
    .option('--no-progress', 'no progress bars (periodic log lines)')
    .action(async (_opts: Flags, command: Command) => {
      const opts = command.optsWithGlobals<Flags>();
      const { config, log } = createCliContext(opts.config);
      const legacy = readLegacyConfig(config);
      const reconciler = await openLegacyReconciler(config, log, openCliDatabase);
      const stop = interruptible();
      const view = createProgressView(opts.progress && process.stdout.isTTY === true, (line) =>
        log.info(line),
      );
      try {
        const summary = await reconcileLegacyUsers(reconciler.deps, {
          graceMs: reconciler.graceMs,
          batchSize: positive(opts.batchSize, '--batch-size') ?? legacy.batchSize,
          maxInFlight: positive(opts.maxInFlight, '--max-in-flight') ?? legacy.maxInFlight,
          perOperator: positive(opts.perOperator, '--per-operator') ?? legacy.perOperator,
          planChunk: legacy.planChunk,
          signal: stop.signal,
          onProgress: view.update,
        });
        view.stop();
        console.log(formatSummary(summary));
      } finally {
        view.stop();
        stop.dispose();
        await reconciler.close();
      }
    });
}

export function formatSummary(s: LegacySummary): string {
  return [
    'legacy reconciliation summary:',
    `  matched (identified)     ${s.matched}`,
    `  reassigned (suspended)   ${s.reassigned}`,
    `  no subscriber data       ${s.noSubscriberData}`,
    `  not served               ${s.notServed}`,
    `  unroutable               ${s.unroutable}`,
    `  invalid numbers          ${s.invalid}`,
    `  still pending            ${s.pending}`,
    `  batches ${s.batches} (re-sent after a crash: ${s.batchResends})`,
  ].join('\n');
}

/** One bar per operator on a terminal (rate, ETA); otherwise a log line every 10 s. */
function createProgressView(tty: boolean, logLine: (line: string) => void) {
  const started = Date.now();
  const firstDone = new Map<string, number>();
  const multi = tty
    ? new cliProgress.MultiBar(
        {
          format:
            '{operator} [{bar}] {percentage}% | {value}/{total} users | {rate} users/s | ETA {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const bars = new Map<string, cliProgress.SingleBar>();
  let lastLog = 0;
  let stopped = false;
  const rate = (p: OperatorProgress) => {
    const from = firstDone.get(p.operatorId) ?? p.usersDone;
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    return Math.round((p.usersDone - from) / seconds);
  };
  return {
    update(progress: OperatorProgress[]): void {
      for (const p of progress) {
        if (!firstDone.has(p.operatorId)) firstDone.set(p.operatorId, p.usersDone);
        if (!multi) continue;
        const payload = { operator: p.operatorId.padEnd(10), rate: rate(p) };
        const bar = bars.get(p.operatorId);
        if (bar) {
          bar.setTotal(p.users);
          bar.update(p.usersDone, payload);
        } else bars.set(p.operatorId, multi.create(p.users, p.usersDone, payload));
      }
      if (!multi && Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        for (const p of progress) {
          logLine(
            `reconcile ${p.operatorId}: ${p.usersDone}/${p.users} users, ${p.batchesDone}/${p.batches} batches, ${rate(p)} users/s`,
          );
        }
      }
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      multi?.stop();
    },
  };
}

function interruptible() {
  const controller = new AbortController();
  const onSignal = () =>
    controller.abort(
      new Error('interrupted after the work in flight; run the same command to resume'),
    );
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new IdbridgeError('INVALID_ARGUMENT', `${flag} must be a positive integer`);
  return n;
}
