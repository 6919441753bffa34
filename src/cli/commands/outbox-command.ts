import type { Command } from 'commander';
import { type Clock, systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import { maskDeep } from '../../core/mask-phone-numbers.js';
import type { Queryable } from '../../db/port.js';
import {
  inspectOutbox,
  type OutboxStateFilter,
  outboxStatus,
  retryOutbox,
} from '../../outbox/outbox-ops-store.js';
import { formatOutboxRows, formatOutboxStatus } from '../../outbox/outbox-report-text.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';

export interface OutboxCommandOptions {
  config?: string;
  partner?: string;
  kind?: string;
  json?: boolean;
  state?: string;
  limit?: string;
  payload?: boolean;
  id?: string[];
  rejected?: boolean;
}

const STATE_FILTERS: readonly OutboxStateFilter[] = [
  'undelivered',
  'pending',
  'failing',
  'rejected',
  'delivered',
];

/**
 * `idbridge outbox status|inspect|retry`: the outbox as operators of the
 * software see it (backlog per partner, oldest due item, failures with their
 * last error) and the one action they need, making items due again.
 */
export function registerOutboxCommand(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('inspect and retry outbound deliveries (notices, callbacks, webhooks)');
  const common = (cmd: Command): Command =>
    cmd
      .option('-c, --config <file>', 'config file (YAML or JSON)')
      .option('--partner <id>', 'only this destination partner')
      .option('--kind <kind>', 'only this kind (notice, identification_result, webhook, …)')
      .option('--json', 'print JSON instead of a table');

  common(outbox.command('status'))
    .description(
      'backlog per partner and kind: pending, due, failing, oldest due, nearest deadline',
    )
    .action((opts: OutboxCommandOptions) => withDatabase(opts, 'status'));
  common(outbox.command('inspect'))
    .description('list items with attempts and last error (default: undelivered)')
    .option('--state <state>', STATE_FILTERS.join(' | '), 'undelivered')
    .option('--limit <n>', 'at most this many items', '50')
    .option('--payload', 'also print payloads (phone numbers masked)')
    .action((opts: OutboxCommandOptions) => withDatabase(opts, 'inspect'));
  common(outbox.command('retry'))
    .description('make failing items due now (by partner or id; rejected ones with --rejected)')
    .option('--id <id...>', 'these items (pending or rejected)')
    .option('--rejected', 'with --partner: also reopen rejected items')
    .action((opts: OutboxCommandOptions) => withDatabase(opts, 'retry'));
}

async function withDatabase(opts: OutboxCommandOptions, sub: OutboxSubcommand): Promise<void> {
  const { config } = createCliContext(opts.config);
  const db = await openCliDatabase(config.database);
  try {
    console.log(await runOutboxCommand(db, sub, opts));
  } finally {
    await db.close();
  }
}

export type OutboxSubcommand = 'status' | 'inspect' | 'retry';

/** The work of each subcommand on an open database; returns the text to print. */
export async function runOutboxCommand(
  db: Queryable,
  sub: OutboxSubcommand,
  opts: OutboxCommandOptions,
  clock: Clock = systemClock,
): Promise<string> {
  const now = clock.now();
  try {
    if (sub === 'status') {
      const lines = (await outboxStatus(db, now)).filter(
        (l) =>
          (opts.partner === undefined || l.partnerId === opts.partner) &&
          (opts.kind === undefined || l.kind === opts.kind),
      );
      return opts.json ? JSON.stringify(lines, null, 2) : formatOutboxStatus(lines, now);
    }
    if (sub === 'inspect') {
      const state = (opts.state ?? 'undelivered') as OutboxStateFilter;
      if (!STATE_FILTERS.includes(state)) {
        throw new IdbridgeError(
          'INVALID_ARGUMENT',
          `--state must be one of ${STATE_FILTERS.join(', ')}`,
        );
      }
      const limit = Number(opts.limit ?? '50');
      if (!Number.isInteger(limit) || limit < 1) {
        throw new IdbridgeError('INVALID_ARGUMENT', '--limit must be a positive whole number');
      }
      const rows = await inspectOutbox(db, {
        partnerId: opts.partner,
        kind: opts.kind,
        state,
        limit,
        includePayload: opts.payload === true,
      });
      return opts.json ? JSON.stringify(maskDeep(rows), null, 2) : formatOutboxRows(rows, now);
    }
    if (!opts.id?.length && opts.partner === undefined) {
      throw new IdbridgeError('INVALID_ARGUMENT', 'retry needs --partner <id> or --id <id...>');
    }
    const bad = opts.id?.find(
      (id) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id),
    );
    if (bad !== undefined)
      throw new IdbridgeError('INVALID_ARGUMENT', `--id ${bad} is not an outbox id (uuid)`);
    const count = await retryOutbox(db, {
      ids: opts.id?.length ? opts.id : undefined,
      partnerId: opts.partner,
      kind: opts.kind,
      includeRejected: opts.rejected === true,
      now,
    });
    return opts.json ? JSON.stringify({ retried: count }) : `${count} item(s) due for delivery now`;
  } catch (err) {
    if (err instanceof Error && /relation "outbox" does not exist/.test(err.message)) {
      throw new IdbridgeError(
        'MIGRATION_FAILED',
        'the outbox table is missing: run `idbridge migrate` first',
      );
    }
    throw err;
  }
}
