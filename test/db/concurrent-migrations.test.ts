import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const url = process.env.DATABASE_URL;

// Two real processes race to migrate the same fresh schema. The advisory lock
// must serialize them: both succeed, every migration is recorded once.
describe.runIf(url)('concurrent migrations [postgres]', () => {
  it('lets two processes migrate one database at once without error or double application', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      const env = { ...process.env, DATABASE_URL: url, IDBRIDGE_DATABASE__SCHEMA: schema };
      const migrateOnce = () =>
        run(process.execPath, ['bin/idbridge.js', 'migrate', '--node', 'operator'], { env });
      const [a, b] = await Promise.all([migrateOnce(), migrateOnce()]);
      const outputs = [a.stdout, b.stdout];
      // Exactly one process applied the migrations; the other found none left.
      expect(outputs.filter((o) => /^operator: 0 applied/m.test(o))).toHaveLength(1);
      const { rows } = await admin.query(
        `SELECT set_name, version, count(*)::int AS n FROM ${schema}.idbridge_migrations GROUP BY 1, 2`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
