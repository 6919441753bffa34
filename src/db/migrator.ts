import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdbridgeError } from '../core/errors.js';
import type { Database, Queryable } from './port.js';

/**
 * Forward-only SQL migrations. Files live in `migrations/<set>/NNNN_name.sql`;
 * a node applies the sets it needs (`shared` plus `operator` or `messenger`).
 *
 * Concurrency: all pending migrations of one call run in a single transaction
 * that first takes a transaction-scoped advisory lock keyed by the schema, so
 * any number of processes may migrate at once: one applies, the others wait
 * and then find nothing left to do. A failed migration rolls back whole.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface MigrationFile {
  set: string;
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: Array<{ set: string; version: number; name: string }>;
  alreadyApplied: number;
}

export async function readMigrations(set: string, dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const folder = join(dir, set);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => n.endsWith('.sql')).sort();
  } catch (err) {
    throw new IdbridgeError('MIGRATION_FAILED', `no migration set "${set}" at ${folder}`, {
      cause: err,
    });
  }
  const files: MigrationFile[] = [];
  for (const fileName of names) {
    const match = /^(\d{4})_([a-z0-9_-]+)\.sql$/.exec(fileName);
    if (!match) {
      throw new IdbridgeError(
        'MIGRATION_FAILED',
        `migration file ${join(folder, fileName)} is not named NNNN_name.sql`,
      );
    }
    const sql = await readFile(join(folder, fileName), 'utf8');
    const version = Number(match[1]);
    if (files.some((f) => f.version === version)) {
      throw new IdbridgeError(
        'MIGRATION_FAILED',
        `two migrations numbered ${version} in ${folder}`,
      );
    }
    files.push({
      set,
      version,
      name: match[2] ?? fileName,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return files;
}

const LOCK_KEY_SQL = `SELECT pg_advisory_xact_lock(hashtext('idbridge-migrate:' || current_schema()))`;

const CREATE_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS idbridge_migrations (
    set_name   text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (set_name, version)
  )`;

export async function migrate(
  db: Database,
  sets: readonly string[],
  options: { dir?: string } = {},
): Promise<MigrationReport> {
  const wanted: MigrationFile[] = [];
  for (const set of sets) wanted.push(...(await readMigrations(set, options.dir)));

  return db.transaction(async (tx) => {
    await tx.query(LOCK_KEY_SQL);
    await tx.query(CREATE_TABLE_SQL);
    const done = await appliedMigrations(tx);
    const report: MigrationReport = { applied: [], alreadyApplied: 0 };
    for (const file of wanted) {
      const previous = done.get(`${file.set}/${file.version}`);
      if (previous !== undefined) {
        // Forward-only: an applied file must never change under us.
        if (previous !== file.checksum) {
          throw new IdbridgeError(
            'MIGRATION_FAILED',
            `migration ${file.set}/${file.version}_${file.name} was changed after it was applied; add a new migration instead`,
          );
        }
        report.alreadyApplied++;
        continue;
      }
      try {
        await tx.exec(file.sql);
      } catch (err) {
        throw new IdbridgeError(
          'MIGRATION_FAILED',
          `migration ${file.set}/${file.version}_${file.name} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await tx.query(
        'INSERT INTO idbridge_migrations (set_name, version, name, checksum) VALUES ($1, $2, $3, $4)',
        [file.set, file.version, file.name, file.checksum],
      );
      report.applied.push({ set: file.set, version: file.version, name: file.name });
    }
    return report;
  });
}

async function appliedMigrations(tx: Queryable): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ set_name: string; version: number; checksum: string }>(
    'SELECT set_name, version, checksum FROM idbridge_migrations',
  );
  return new Map(rows.map((r) => [`${r.set_name}/${r.version}`, r.checksum]));
}
