import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
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
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const pglite = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir);
  await pglite.waitReady;
  return wrapPglite(pglite, options.schema ?? 'public', () => pglite.close());
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
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
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
