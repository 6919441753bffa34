import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe } from 'vitest';
import { wrapPglite } from '../../src/db/pglite-driver.js';
import type { Database, DriverKind } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';

/**
 * Each test gets its own schema. On PostgreSQL (when DATABASE_URL is set)
 * that is a fresh schema on the shared server, dropped on close. On PGlite,
 * starting an instance costs seconds, so idle instances are kept in a small
 * pool and handed out with a fresh schema; a test that needs several
 * databases at once (one per node) simply leases several instances.
 */
export const TEST_DRIVERS: DriverKind[] = process.env.DATABASE_URL
  ? ['pglite', 'postgres']
  : ['pglite'];

const idlePglites: PGlite[] = [];

function freshSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function createTestDatabase(kind: DriverKind): Promise<Database> {
  const schema = freshSchemaName();
  if (kind === 'postgres') {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const db = createPostgresDatabase({ url, schema, poolSize: 5 });
    return {
      ...db,
      close: async () => {
        await db.close();
        const cleanup = new pg.Client({ connectionString: url });
        await cleanup.connect();
        await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
        await cleanup.end();
      },
    };
  }
  const pglite = idlePglites.pop() ?? new PGlite();
  await pglite.waitReady;
  return wrapPglite(pglite, schema, async () => {
    await pglite.exec(`DROP SCHEMA ${schema} CASCADE; SET search_path TO public;`);
    idlePglites.push(pglite);
  });
}

/** Runs the same suite once per available driver. */
export function describeEachDriver(title: string, suite: (kind: DriverKind) => void): void {
  for (const kind of TEST_DRIVERS) {
    describe(`${title} [${kind}]`, () => suite(kind));
  }
}

/**
 * A suite that needs PostgreSQL itself (a second connection, a wire detail,
 * real processes on one server). Without DATABASE_URL its tests are reported
 * as skipped, with the reason in the title, so a file holding only such
 * suites still reports its tests instead of failing with no suite at all.
 */
export function describePostgresOnly(title: string, suite: (kind: DriverKind) => void): void {
  const hasPostgres = TEST_DRIVERS.includes('postgres');
  const reason = hasPostgres ? '' : ' (skipped: PostgreSQL only, set DATABASE_URL)';
  describe.skipIf(!hasPostgres)(`${title} [postgres]${reason}`, () => suite('postgres'));
}
