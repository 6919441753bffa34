import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-migrations-'));
  for (const [path, sql] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), sql);
  }
  return dir;
}

describeEachDriver('migrator', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(() => db.close());

  it('applies pending migrations in order and records them', async () => {
    const dir = await migrationsDir({
      'a/0001_first.sql': 'CREATE TABLE one (id int);',
      'a/0002_second.sql': 'ALTER TABLE one ADD COLUMN name text; CREATE TABLE two (id int);',
    });
    const report = await migrate(db, ['a'], { dir });
    expect(report.applied.map((m) => m.version)).toEqual([1, 2]);
    const { rows } = await db.query<{ version: number }>(
      'SELECT version FROM idbridge_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    await db.query('INSERT INTO one (id, name) VALUES (1, $1)', ['x']);
  });

  it('is idempotent: a second run applies nothing', async () => {
    const dir = await migrationsDir({ 'a/0001_first.sql': 'CREATE TABLE one (id int);' });
    await migrate(db, ['a'], { dir });
    const again = await migrate(db, ['a'], { dir });
    expect(again).toEqual({ applied: [], alreadyApplied: 1 });
  });

  it('applies only the new file when one is added later', async () => {
    const dir = await migrationsDir({ 'a/0001_first.sql': 'CREATE TABLE one (id int);' });
    await migrate(db, ['a'], { dir });
    await writeFile(join(dir, 'a/0002_more.sql'), 'CREATE TABLE two (id int);');
    const report = await migrate(db, ['a'], { dir });
    expect(report.applied.map((m) => m.name)).toEqual(['more']);
  });

  it('rolls back all pending migrations when one fails', async () => {
    const dir = await migrationsDir({
      'a/0001_good.sql': 'CREATE TABLE one (id int);',
      'a/0002_bad.sql': 'CREATE TABLE two (id int); SELECT no_such_function();',
    });
    await expect(migrate(db, ['a'], { dir })).rejects.toThrow(/a\/2_bad failed/);
    // Nothing of the failed run remains, not even the bookkeeping table.
    const { rows } = await db.query<{ one: string | null; log: string | null }>(
      "SELECT to_regclass('one')::text AS one, to_regclass('idbridge_migrations')::text AS log",
    );
    expect(rows[0]).toEqual({ one: null, log: null });
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const dir = await migrationsDir({ 'a/0001_first.sql': 'CREATE TABLE one (id int);' });
    await migrate(db, ['a'], { dir });
    await writeFile(join(dir, 'a/0001_first.sql'), 'CREATE TABLE one (id bigint);');
    await expect(migrate(db, ['a'], { dir })).rejects.toThrow(/changed after it was applied/);
  });

  it('rejects badly named migration files', async () => {
    const dir = await migrationsDir({ 'a/first.sql': 'SELECT 1;' });
    await expect(migrate(db, ['a'], { dir })).rejects.toThrow(/NNNN_name\.sql/);
  });

  it('keeps separate version numbers per migration set', async () => {
    const dir = await migrationsDir({
      'a/0001_x.sql': 'CREATE TABLE ax (id int);',
      'b/0001_x.sql': 'CREATE TABLE bx (id int);',
    });
    const report = await migrate(db, ['a', 'b'], { dir });
    expect(report.applied).toEqual([
      { set: 'a', version: 1, name: 'x' },
      { set: 'b', version: 1, name: 'x' },
    ]);
  });

  it("applies the project's own migration sets cleanly", async () => {
    for (const sets of [['shared'], ['shared', 'operator'], ['shared', 'messenger']]) {
      const fresh = await createTestDatabase(kind);
      try {
        const report = await migrate(fresh, sets);
        expect(report.applied.length).toBeGreaterThan(0);
        expect((await migrate(fresh, sets)).applied).toEqual([]);
      } finally {
        await fresh.close();
      }
    }
  });
});
