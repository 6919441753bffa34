import type { Command } from 'commander';
import { migrate } from '../../db/migrator.js';
import { createCliContext } from '../cli-context.js';
import { openCliDatabase } from '../cli-database.js';

export const MIGRATION_SETS_BY_NODE: Record<string, string[]> = {
  operator: ['shared', 'operator'],
  messenger: ['shared', 'messenger'],
  sandbox: ['shared'],
};

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations for a node kind, then exit')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--node <kind>', 'operator | messenger | sandbox', 'operator')
    .action(async (opts: { config?: string; node: string }) => {
      const sets = MIGRATION_SETS_BY_NODE[opts.node];
      if (!sets)
        throw new Error(`--node must be one of ${Object.keys(MIGRATION_SETS_BY_NODE).join(', ')}`);
      const { config } = createCliContext(opts.config);
      const db = await openCliDatabase(config.database, { create: true });
      try {
        const report = await migrate(db, sets);
        for (const m of report.applied) console.log(`applied ${m.set}/${m.version}_${m.name}`);
        console.log(
          `${report.applied.length} applied, ${report.alreadyApplied} already applied (${db.kind}, schema ${db.schema})`,
        );
      } finally {
        await db.close();
      }
    });
}
