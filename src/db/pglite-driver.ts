import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.js';
import { assertSchemaName, type Database, type Queryable, type QueryResult } from './port.js';

export interface PgliteDriverOptions {
  /** Data directory on disk; omit for an in-memory database (tests). */
  dataDir?: string;
  schema?: string;
}

/**
 * Embedded PGlite behind the port. PGlite is one connection: it queues
 * queries and transactions itself, so a query issued while a transaction runs
 * waits for it rather than joining it.
 */
export async function createPgliteDatabase(options: PgliteDriverOptions = {}): Promise<Database> {
  if (options.dataDir === undefined) {
    const pglite = new PGlite();
    await pglite.waitReady;
    return wrapPglite(pglite, options.schema ?? 'public', () => pglite.close());
  }
  await mkdir(options.dataDir, { recursive: true });
  const release = lockDataDir(options.dataDir);
  try {
    const pglite = new PGlite(options.dataDir);
    await pglite.waitReady;
    return await wrapPglite(pglite, options.schema ?? 'public', async () => {
      await pglite.close();
      release();
    });
  } catch (err) {
    release();
    throw err;
  }
}

/** Wraps an open PGlite instance; `onClose` decides what closing means. */
export async function wrapPglite(
  pglite: PGlite,
  schemaName: string,
  onClose: () => Promise<void>,
): Promise<Database> {
  const schema = assertSchemaName(schemaName);
  await pglite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);

  const run = async <R>(
    target: Pick<PGlite, 'query'>,
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const res = await target.query<R>(sql, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: pgliteRowCount(res) };
  };

  return {
    kind: 'pglite',
    schema,
    query: (sql, params) => run(pglite, sql, params),
    exec: async (sql) => {
      await pglite.exec(sql);
    },
    transaction: (fn) =>
      pglite.transaction(async (t) => {
        const tx: Queryable = {
          query: (sql, params) => run(t, sql, params),
          exec: async (sql) => {
            await t.exec(sql);
          },
        };
        return fn(tx);
      }),
    close: onClose,
  };
}

/**
 * Several databases in one embedded PGlite instance, one schema each — for
 * the sandbox, where five nodes would otherwise start five WASM Postgres
 * instances (seconds and hundreds of MB each). PGlite is one connection, so
 * every query runs in its own short transaction that first sets the
 * schema (`SET LOCAL search_path`): each node sees only its own tables, at
 * the price of two extra statements per query, fine at sandbox load.
 */
export async function createSharedPgliteDatabases(
  dataDir: string,
  schemas: readonly string[],
): Promise<{ databases: Database[]; close(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  const pglite = new PGlite(dataDir);
  try {
    await pglite.waitReady;
  } catch (err) {
    release();
    throw err;
  }
  const run = async <R>(
    target: Pick<PGlite, 'query'>,
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>> => {
    const res = await target.query<R>(sql, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: pgliteRowCount(res) };
  };
  const databases = [];
  for (const name of schemas) {
    const schema = assertSchemaName(name);
    await pglite.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    const inSchema = <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> =>
      pglite.transaction(async (t) => {
        await t.exec(`SET LOCAL search_path TO ${schema}`);
        return fn({
          query: (sql, params) => run(t, sql, params),
          exec: async (sql) => {
            await t.exec(sql);
          },
        });
      });
    const db: Database = {
      kind: 'pglite',
      schema,
      query: (sql, params) => inSchema((tx) => tx.query(sql, params)),
      exec: (sql) => inSchema((tx) => tx.exec(sql)),
      transaction: inSchema,
      close: async () => {},
    };
    databases.push(db);
  }
  return {
    databases,
    close: async () => {
      await pglite.close();
      release();
    },
  };
}

/**
 * node-postgres semantics: the number of rows returned by a query that
 * returns rows (SELECT, … RETURNING), else the number affected. PGlite
 * reports `affectedRows: 0` for a SELECT, which would read as "none found".
 */
function pgliteRowCount(res: {
  rows: unknown[];
  fields: unknown[];
  affectedRows?: number;
}): number {
  return res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0);
}
