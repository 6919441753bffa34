import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { type Clock, systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { Database } from '../../db/port.js';
import { buildReport, readClaimedNodeKind } from '../../report/build-report.js';
import { formatReport } from '../../report/format-report.js';
import {
  REPORT_FORMATS,
  REPORT_NODE_KINDS,
  type ReportFormat,
  type ReportNodeKind,
} from '../../report/report-types.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';
import { parseTime } from './audit-command.js';

export interface ReportCommandOptions {
  config?: string;
  from?: string;
  to?: string;
  asOf?: string;
  format?: string;
  node?: string;
  out?: string;
}

/**
 * `idbridge report --from --to [--format json|csv|html]` (R10,
 * R12): per counterparty, identification answers against the 20-minute
 * line and notices against 24 hours, every miss with its ids; on the
 * messenger also suspensions and deauthorizations by cause. Reads only.
 */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('compliance report for a time range: answers within 20 min, notices within 24 h')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .requiredOption('--from <iso>', 'from this time (inclusive)')
    .requiredOption('--to <iso>', 'to this time (exclusive)')
    .option('--format <format>', REPORT_FORMATS.join(' | '), 'json')
    .option(
      '--node <kind>',
      `${REPORT_NODE_KINDS.join(' | ')} (default: the kind that claimed the database)`,
    )
    .option('--as-of <iso>', 'judge what is still pending at this time (default: now)')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (opts: ReportCommandOptions) => {
      // Validate before opening anything: bad input changes nothing.
      const request = parseReportOptions(opts, systemClock);
      const { config } = createCliContext(opts.config);
      const db = await openCliDatabase(config.database);
      let text: string;
      try {
        text = await runReport(db, request);
      } finally {
        await db.close();
      }
      if (opts.out) {
        await writeFile(opts.out, text);
        console.error(`report written to ${opts.out}`);
      } else {
        process.stdout.write(text);
      }
    });
}

export interface ReportRequest {
  from: Date;
  to: Date;
  asOf: Date;
  format: ReportFormat;
  node: ReportNodeKind | null;
}

export function parseReportOptions(opts: ReportCommandOptions, clock: Clock): ReportRequest {
  const from = parseTime(opts.from, '--from');
  const to = parseTime(opts.to, '--to');
  if (!from || !to) throw new IdbridgeError('INVALID_ARGUMENT', '--from and --to are required');
  if (from >= to) throw new IdbridgeError('INVALID_ARGUMENT', '--from must be before --to');
  const format = (opts.format ?? 'json') as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `--format must be one of ${REPORT_FORMATS.join(', ')}`,
    );
  }
  const node = (opts.node ?? null) as ReportNodeKind | null;
  if (node !== null && !REPORT_NODE_KINDS.includes(node)) {
    throw new IdbridgeError(
      'INVALID_ARGUMENT',
      `--node must be one of ${REPORT_NODE_KINDS.join(', ')}`,
    );
  }
  return { from, to, asOf: parseTime(opts.asOf, '--as-of') ?? clock.now(), format, node };
}

/** The formatted report of the node whose database this is. */
export async function runReport(db: Database, request: ReportRequest): Promise<string> {
  const node = request.node ?? (await claimedKind(db));
  try {
    const report = await buildReport(db, node, request, request.asOf);
    return formatReport(report, request.format);
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) {
      throw new IdbridgeError(
        'MIGRATION_FAILED',
        `this database has no ${node} tables; run \`idbridge migrate\` or start the ${node} node first`,
        { cause: err },
      );
    }
    throw err;
  }
}

async function claimedKind(db: Database): Promise<ReportNodeKind> {
  let kind: string | null;
  try {
    kind = await readClaimedNodeKind(db);
  } catch {
    kind = null;
  }
  if (kind === 'operator' || kind === 'messenger') return kind;
  throw new IdbridgeError(
    'INVALID_ARGUMENT',
    kind === null
      ? 'no node has claimed this database yet; say which report with --node operator|messenger'
      : `this database belongs to a ${kind}; say which report with --node operator|messenger`,
  );
}
