import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { assertSchemaName, type Queryable, type QueryResult } from '../../db/port.js';

/**
 * A transaction that can also bulk-load with COPY … FROM STDIN. The Database
 * port has no raw client, so the PostgreSQL import path opens its own single
 * connection here; PGlite and any other Database go through multi-row
 * INSERTs instead (see load-import-chunk.ts).
 */
export interface BulkLoadTransaction extends Queryable {
  /** Streams `data` (COPY text format) into `copySql` (`COPY t (cols) FROM STDIN`). */
  copyFrom(copySql: string, data: string): Promise<void>;
}

export interface BulkLoader {
  transaction<T>(fn: (tx: BulkLoadTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * One dedicated node-postgres connection, with the same schema as the node's
 * Database. Transactions on it run one at a time (callers await each).
 */
export function createPostgresBulkLoader(options: { url: string; schema: string }): BulkLoader {
  const schema = assertSchemaName(options.schema);
  const client = new pg.Client({
    connectionString: options.url,
    application_name: 'idbridge-import',
    // JIT compilation costs more than it saves on the merge's per-chunk
    // statements. synchronous_commit off skips a flush per chunk: a server
    // crash may lose the last chunks, but each chunk's data and the run's
    // offset commit together, so a resume redoes exactly the lost chunks.
    options: `-c search_path=${schema} -c jit=off -c synchronous_commit=off`,
  });
  let connected: Promise<unknown> | null = null;
  const connect = () => {
    connected ??= client.connect();
    return connected;
  };
  const tx: BulkLoadTransaction = {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await client.query(sql, params as unknown[] | undefined);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async copyFrom(copySql: string, data: string) {
      await pipeline(Readable.from([Buffer.from(data)]), client.query(copyFrom(copySql)));
    },
  };
  return {
    async transaction(fn) {
      await connect();
      await client.query('BEGIN');
      try {
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    },
    async close() {
      if (connected) await client.end();
    },
  };
}
