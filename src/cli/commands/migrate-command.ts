import type { Command } from 'commander';
import { IdbridgeError } from '../../core/errors.js';
import { migrate } from '../../db/migrator.js';
import { readDatabaseOwner } from '../../db/node-identity-store.js';
import type { Database } from '../../db/port.js';
import { createCliContext } from '../cli-context.js';
import { databaseExists, describeDatabase, openCliDatabase } from '../cli-database.js';

export const MIGRATION_SETS_BY_NODE: Record<string, string[]> = {
  operator: ['shared', 'operator'],
  messenger: ['shared', 'messenger'],
  sandbox: ['shared'],
};

const KINDS = Object.keys(MIGRATION_SETS_BY_NODE).join(' | ');

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      "apply pending database migrations for a node kind, then exit; refuses a database of another node's kind or id",
    )
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--node <kind>', `${KINDS} (default: the kind whose tables the database holds)`)
    .action(async (opts: { config?: string; node?: string }) => {
      if (opts.node !== undefined && !MIGRATION_SETS_BY_NODE[opts.node]) {
        throw new IdbridgeError('INVALID_ARGUMENT', `--node must be one of ${KINDS}`);
      }
      const { config } = createCliContext(opts.config);
      if (opts.node === undefined && !databaseExists(config.database))
        throw kindRequired(describeDatabase(config.database));
      const db = await openCliDatabase(config.database, { create: true });
      try {
        const kind = await chooseKind(
          db,
          opts.node,
          config.node.id,
          describeDatabase(config.database),
        );
        const report = await migrate(db, MIGRATION_SETS_BY_NODE[kind] as string[]);
        for (const m of report.applied) console.log(`applied ${m.set}/${m.version}_${m.name}`);
        console.log(
          `${kind}: ${report.applied.length} applied, ${report.alreadyApplied} already applied (${db.kind}, schema ${db.schema})`,
        );
      } finally {
        await db.close();
      }
    });
}

function kindRequired(where: string): IdbridgeError {
  return new IdbridgeError(
    'INVALID_ARGUMENT',
    `--node ${KINDS} is required: ${where} holds no node's tables yet`,
  );
}

/**
 * The kind to migrate for, checked against what the database already is:
 * adding the operator's tables to a messenger's database
 * (or the reverse) is refused, naming the node that owns it.
 */
async function chooseKind(
  db: Database,
  requested: string | undefined,
  configuredId: string | undefined,
  where: string,
): Promise<string> {
  const owner = await readDatabaseOwner(db);
  const heldKinds = ['operator', 'messenger'].filter((k) => owner.sets.includes(k));
  const kind =
    requested ?? owner.claimedBy?.kind ?? (heldKinds.length === 1 ? heldKinds[0] : undefined);
  if (!kind) throw kindRequired(where);
  const claimed = owner.claimedBy;
  if (claimed && claimed.kind !== kind) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `${where} belongs to ${claimed.kind} "${claimed.participantId}"; refusing to add ${kind} tables (check -c, database.url / DATABASE_URL)`,
    );
  }
  if (claimed && configuredId && claimed.participantId !== configuredId) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `${where} belongs to ${claimed.kind} "${claimed.participantId}", not "${configuredId}" (node.id); check -c, database.url / DATABASE_URL`,
    );
  }
  const other = heldKinds.find((k) => k !== kind);
  if (kind !== 'sandbox' && other) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `${where} holds the ${other}'s tables; refusing to add ${kind} tables (check -c, database.url / DATABASE_URL)`,
    );
  }
  return kind;
}
