import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimNodeIdentity } from '../../src/db/node-identity-store.js';
import { openDatabase } from '../../src/db/open-database.js';
import { runCli } from '../helpers/run-cli.js';

const migrate = (cwd: string, ...args: string[]) => runCli(cwd, ['migrate', ...args]);

async function setsOf(dataDir: string): Promise<string[]> {
  const db = await openDatabase({ dataDir, schema: 'public' });
  try {
    const { rows } = await db.query<{ set_name: string }>(
      'SELECT DISTINCT set_name FROM idbridge_migrations ORDER BY set_name',
    );
    return rows.map((r) => r.set_name);
  } finally {
    await db.close();
  }
}

/**
 * Issue 29 item 2: `idbridge migrate` without --node added the operator's
 * tables to whatever database it was given. The kind is now required for a
 * new database, read from one that has a node's tables, and a database of
 * another kind or id is refused, naming its owner.
 */
describe('idbridge migrate and the kind of node a database belongs to', () => {
  it('needs --node for a new database, and creates nothing without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-migrate-kind-'));
    const r = await migrate(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--node operator \| messenger \| sandbox is required: embedded PGlite at .* holds no node's tables yet/,
    );
    expect(existsSync(join(dir, '.idbridge'))).toBe(false);
  }, 60_000);

  it("refuses the operator's tables in a messenger's database, and migrates it as a messenger without --node", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-migrate-kind-'));
    const dataDir = join(dir, 'db');
    const config = join(dir, 'messenger.json');
    await writeFile(config, JSON.stringify({ database: { dataDir } }));
    expect((await migrate(dir, '--node', 'messenger', '-c', config)).code).toBe(0);

    const wrong = await migrate(dir, '--node', 'operator', '-c', config);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/holds the messenger's tables; refusing to add operator tables/);
    expect(await setsOf(dataDir)).toEqual(['messenger', 'shared']);

    const again = await migrate(dir, '-c', config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^messenger: 0 applied, \d+ already applied/m);
  }, 90_000);

  it('refuses a database a node of another kind or id has claimed, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idbridge-migrate-kind-'));
    const dataDir = join(dir, 'db');
    const config = join(dir, 'operator.json');
    await writeFile(config, JSON.stringify({ database: { dataDir }, node: { id: 'beeline' } }));
    expect((await migrate(dir, '--node', 'operator', '-c', config)).code).toBe(0);
    // The node that started on it first claimed it as operator "mts".
    const db = await openDatabase({ dataDir, schema: 'public' });
    await claimNodeIdentity(db, 'operator', 'mts');
    await db.close();

    const otherId = await migrate(dir, '-c', config);
    expect(otherId.code).toBe(1);
    expect(otherId.stderr).toMatch(/belongs to operator "mts", not "beeline" \(node.id\)/);

    const otherKind = await migrate(dir, '--node', 'messenger', '-c', config);
    expect(otherKind.code).toBe(1);
    expect(otherKind.stderr).toMatch(/belongs to operator "mts"; refusing to add messenger tables/);
    expect(await setsOf(dataDir)).toEqual(['operator', 'shared']);
  }, 90_000);
});
