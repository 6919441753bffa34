import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AuditEntry } from '../../audit/audit-entry.js';
import { exportAuditLog } from '../../audit/export-audit-log.js';
import {
  type AuditVerification,
  verifyAuditEntries,
  verifyAuditLog,
} from '../../audit/verify-audit-log.js';
import { IdbridgeError } from '../../core/errors.js';
import type { Database } from '../../db/port.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';

export interface AuditCommandOptions {
  config?: string;
  from?: string;
  to?: string;
  out?: string;
  file?: string;
  json?: boolean;
}

/**
 * `idbridge audit verify|export`: walk the node's hash chains and
 * name the first broken entry of each; export a time range as NDJSON for an
 * auditor, who can check it with `audit verify --file`.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('verify and export the audit log');
  audit
    .command('verify')
    .description('recompute every audit chain; exit code 1 naming the first broken entry')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--file <ndjson>', 'verify an exported file instead of the database')
    .option('--json', 'print JSON')
    .action(async (opts: AuditCommandOptions) => {
      const result = opts.file
        ? verifyAuditEntries(await readExport(opts.file))
        : await withDb(opts, (db) => verifyAuditLog(db));
      console.log(opts.json ? JSON.stringify(result, null, 2) : formatVerification(result));
      if (!result.ok) process.exitCode = 1;
    });
  audit
    .command('export')
    .description('write entries with at in [--from, --to) as NDJSON, with their hashes')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--from <iso>', 'from this time (inclusive)')
    .option('--to <iso>', 'to this time (exclusive)')
    .option('--out <file>', 'write here instead of stdout')
    .action(async (opts: AuditCommandOptions) => {
      const range = { from: parseTime(opts.from, '--from'), to: parseTime(opts.to, '--to') };
      const out = opts.out ? createWriteStream(opts.out) : process.stdout;
      const count = await withDb(opts, (db) =>
        exportAuditLog(db, range, (line) => {
          if (!out.write(`${line}\n`)) {
            return new Promise<void>((resolve) => out.once('drain', () => resolve()));
          }
        }),
      );
      if (opts.out) {
        await new Promise<void>((resolve, reject) =>
          out.end((err?: Error | null) => (err ? reject(err) : resolve())),
        );
        console.error(`${count} audit entries written to ${opts.out}`);
      }
    });
}

async function withDb<T>(opts: AuditCommandOptions, fn: (db: Database) => Promise<T>): Promise<T> {
  const { config } = createCliContext(opts.config);
  const db = await openCliDatabase(config.database);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export function parseTime(value: string | undefined, flag: string): Date | null {
  if (value === undefined) return null;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) {
    throw new IdbridgeError('INVALID_ARGUMENT', `${flag} must be an ISO-8601 time`);
  }
  return at;
}

async function readExport(file: string): Promise<AuditEntry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line, n) => {
      try {
        return JSON.parse(line) as AuditEntry;
      } catch {
        throw new IdbridgeError('INVALID_ARGUMENT', `${file}:${n + 1} is not a JSON line`);
      }
    });
}

/** The text `audit verify` prints. */
export function formatVerification(result: AuditVerification): string {
  if (result.ok) return `audit log intact: ${result.entries} entries checked`;
  const lines = [`audit log BROKEN (${result.entries} entries checked):`];
  for (const b of result.breaks) {
    lines.push(
      `  partition ${b.partition}, seq ${b.seq}${b.id ? `, entry ${b.id}` : ''}: ${b.reason}`,
    );
  }
  return lines.join('\n');
}
