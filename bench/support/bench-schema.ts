import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';

export interface BenchSchema {
  url: string;
  schema: string;
  /** Pool used for set-up and checks (the node under test gets its own). */
  db: Database;
  /** Drops the schema with everything in it; call in `finally`. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated PostgreSQL schema named `<prefix>_<random>` for one
 * benchmark run, so runs never see each other's rows and leave nothing behind.
 */
export async function createBenchSchema(
  url: string,
  prefix: string,
  migrationSets: string[],
): Promise<BenchSchema> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = createPostgresDatabase({
    url,
    schema,
    poolSize: 4,
    applicationName: 'idbridge-bench',
  });
  const drop = async () => {
    await db.close().catch(() => {});
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  };
  try {
    await migrate(db, migrationSets);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url, schema, db, drop };
}
