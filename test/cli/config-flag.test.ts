import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { runCli } from '../helpers/run-cli.js';

const idbridge = (cwd: string, ...args: string[]) => runCli(cwd, args);

async function count(dataDir: string, sql: string): Promise<number> {
  const db = await openDatabase({ dataDir, schema: 'public' });
  try {
    const rows = await db.query<{ n: number }>(sql);
    return Number(rows.rows[0]?.n);
  } finally {
    await db.close();
  }
}

const SUBSCRIBERS_HEADER =
  'msisdn,contractId,subscriberType,hasSubscriberData,contractStart,contractEnd';

/**
 * Issue 23 item 4: `-c` after the subcommand was taken by the parent command,
 * so the import silently made and filled `.idbridge/data` in the working
 * directory. Every maintenance command now honours `-c` in either position,
 * says on stderr which database it uses, and never creates an embedded one
 * (only `migrate` does).
 */
describe('maintenance commands use the database -c names', () => {
  it('operator import-subscribers: -c before and after the subcommand both reach the configured database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-config-flag-'));
    const dataDir = join(dir, 'operator-db');
    const configFile = join(dir, 'operator.json');
    await writeFile(configFile, JSON.stringify({ database: { dataDir } }));
    const work = await mkdtemp(join(tmpdir(), 'idbridge-config-cwd-'));

    const migrated = await idbridge(work, 'migrate', '--node', 'operator', '-c', configFile);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toContain(`database: embedded PGlite at ${dataDir}`);

    const after = join(dir, 'after.csv');
    await writeFile(
      after,
      `${SUBSCRIBERS_HEADER}\n+79161234567,C-1,individual,true,2020-01-01T00:00:00Z,\n`,
    );
    const a = await idbridge(
      work,
      'operator',
      'import-subscribers',
      after,
      '--no-progress',
      '-c',
      configFile,
    );
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/imported 1 rows/);
    expect(a.stderr).toContain(`database: embedded PGlite at ${dataDir}`);

    const before = join(dir, 'before.csv');
    await writeFile(
      before,
      `${SUBSCRIBERS_HEADER}\n+79161234568,C-2,individual,true,2020-01-01T00:00:00Z,\n`,
    );
    const b = await idbridge(
      work,
      'operator',
      '-c',
      configFile,
      'import-subscribers',
      before,
      '--no-progress',
    );
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain(`database: embedded PGlite at ${dataDir}`);

    const outbox = await idbridge(work, 'outbox', 'status', '-c', configFile);
    expect(outbox.code, outbox.stderr).toBe(0);
    expect(outbox.stderr).toContain(`database: embedded PGlite at ${dataDir}`);
    const audit = await idbridge(work, 'audit', 'verify', '-c', configFile);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stderr).toContain(`database: embedded PGlite at ${dataDir}`);

    expect(existsSync(join(work, '.idbridge'))).toBe(false);
    expect(await count(dataDir, 'SELECT count(*)::int AS n FROM subscriber_contracts')).toBe(2);
  }, 180_000);

  it('messenger import-users: -c after the subcommand reaches the configured database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-config-flag-'));
    const dataDir = join(dir, 'messenger-db');
    const configFile = join(dir, 'messenger.json');
    await writeFile(configFile, JSON.stringify({ database: { dataDir } }));
    const work = await mkdtemp(join(tmpdir(), 'idbridge-config-cwd-'));
    expect((await idbridge(work, 'migrate', '--node', 'messenger', '-c', configFile)).code).toBe(0);

    const users = join(dir, 'users.csv');
    await writeFile(users, 'userRef,number,userSince\nu-1,+79161234567,2019-05-01\n');
    const r = await idbridge(
      work,
      'messenger',
      'import-users',
      users,
      '--no-progress',
      '-c',
      configFile,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`database: embedded PGlite at ${dataDir}`);
    expect(existsSync(join(work, '.idbridge'))).toBe(false);
    expect(
      await count(dataDir, "SELECT count(*)::int AS n FROM users WHERE state = 'legacy'"),
    ).toBe(1);
  }, 120_000);

  it('with no config and no database, a maintenance command refuses and creates nothing', async () => {
    const work = await mkdtemp(join(tmpdir(), 'idbridge-config-cwd-'));
    const file = join(work, 'subscribers.csv');
    await writeFile(
      file,
      `${SUBSCRIBERS_HEADER}\n+79161234567,C-1,individual,true,2020-01-01T00:00:00Z,\n`,
    );
    const r = await idbridge(work, 'operator', 'import-subscribers', file, '--no-progress');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no embedded database exists at .*\.idbridge[/\\]data; pass -c FILE/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(existsSync(join(work, '.idbridge'))).toBe(false);
    expect(existsSync(`${file}.rejects.csv`)).toBe(false);
  }, 60_000);
});
