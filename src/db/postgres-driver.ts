import { createHash } from 'node:crypto';
import pg from 'pg';
import { scalarArrayLiteral } from './array-literal.js';
import { beginWithStatement, isParsedOn } from './begin-with-statement.js';
import { assertSchemaName, type Database, type Queryable, type QueryResult } from './port.js';
import { typeParsers } from './timestamp-parser.js';

// Timestamps come back as JS Dates (the default); int8 as strings is kept,
// since counts past 2^53 are not our concern but silent truncation would be.

export interface PostgresDriverOptions {
  url: string;
  schema?: string;
  poolSize?: number;
  applicationName?: string;
}

/**
 * node-postgres pool behind the port. The schema is set per connection via
 * the startup `search_path` option, so every pooled connection sees it.
 */
export function createPostgresDatabase(options: PostgresDriverOptions): Database {
  const schema = assertSchemaName(options.schema ?? 'public');
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'idbridge',
    options: `-c search_path=${schema}`,
    // Timestamps parsed without regular expressions (timestamp-parser.ts).
    types: typeParsers,
  });
  // An idle client's error (server restart) must not crash the process; the
  // next query gets a fresh connection.
  pool.on('error', () => {});

  // Named prepared statements: PostgreSQL parses and plans each statement
  // once per connection instead of on every call — measured to halve the
  // server's CPU per identification (bench/operator-identify). Only
  // parameterized statements are named; the cap bounds memory should any SQL
  // be built dynamically. (Needs session pooling: PgBouncer in transaction
  // mode must be ≥ 1.21 with prepared-statement support.)
  const names = new Map<string, string>();
  const statementName = (sql: string): string | undefined => {
    let name = names.get(sql);
    if (name === undefined && names.size < 2000) {
      name = `idb_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
      names.set(sql, name);
    }
    return name;
  };

  // `begin`: the statement opens a transaction, and its BEGIN goes in the
  // same round trip when the statement is prepared on this connection
  // already (begin-with-statement.ts), else alone just before it.
  const run = async <R>(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params?: readonly unknown[],
    begin = false,
  ): Promise<QueryResult<R>> => {
    const name = params && params.length > 0 ? statementName(sql) : undefined;
    const values = params?.map((p) => (Array.isArray(p) ? (scalarArrayLiteral(p) ?? p) : p));
    let res: pg.QueryResult;
    if (begin && name !== undefined && isParsedOn(client as pg.PoolClient, name)) {
      res = await beginWithStatement(client as pg.PoolClient, { name, text: sql, values });
    } else {
      if (begin) await client.query('BEGIN');
      res = name
        ? await client.query({ name, text: sql, values })
        : await client.query(sql, values);
    }
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    schema,
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      // BEGIN is sent with the first statement (run's `begin`); a
      // transaction that runs none sends nothing.
      let begun = false;
      try {
        const tx: Queryable = {
          query: (sql, params) => {
            const first = !begun;
            begun = true;
            return run(client, sql, params, first);
          },
          exec: async (sql) => {
            if (!begun) {
              begun = true;
              await client.query('BEGIN');
            }
            await client.query(sql);
          },
        };
        const result = await fn(tx);
        if (begun) await client.query('COMMIT');
        return result;
      } catch (err) {
        if (begun) await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
