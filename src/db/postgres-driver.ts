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
  const newPool = (max: number): pg.Pool => {
    const created = new pg.Pool({
      connectionString: options.url,
      max,
      application_name: options.applicationName ?? 'idbridge',
      options: `-c search_path=${schema}`,
      // Timestamps parsed without regular expressions (timestamp-parser.ts).
      types: typeParsers,
    });
    // An idle client's error (server restart) must not crash the process; the
    // next query gets a fresh connection.
    created.on('error', () => {});
    return created;
  };
  const pool = newPool(options.poolSize ?? 10);
  // Held transactions get a pool of their own, opened on first use: each
  // keeps its connection for as long as the caller's slow work lasts (an
  // outbox batch's HTTP delivery), and must not take it from the request
  // handlers of the shared pool. 64 is the outbox's most slots per worker.
  let heldPool: pg.Pool | undefined;
  let closed = false;

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
    openHeldTransaction: async ({ idleTimeoutMs }) => {
      if (!Number.isFinite(idleTimeoutMs) || idleTimeoutMs < 1) {
        throw new Error(`idleTimeoutMs must be a positive number, got ${idleTimeoutMs}`);
      }
      if (closed) throw new Error('database closed');
      heldPool ??= newPool(64);
      const client = await heldPool.connect();
      // A checked-out client has no error listener: the server ending the
      // session (the idle timeout below) would otherwise be an uncaught
      // 'error' event. The next query or the commit reports it instead.
      const onError = (): void => {};
      client.on('error', onError);
      let ended = false;
      const end = (broken: boolean): void => {
        if (ended) return;
        ended = true;
        client.removeListener('error', onError);
        client.release(broken);
      };
      try {
        // The server rolls the transaction back and closes the session when
        // it idles longer than this: a worker that hangs (rather than dies)
        // cannot keep its rows locked for ever.
        await client.query(
          `BEGIN; SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(idleTimeoutMs)}`,
        );
      } catch (err) {
        end(true);
        throw err;
      }
      // After commit or rollback the connection is back in the pool, maybe
      // in another caller's transaction: a late statement must not run there.
      const open = (): pg.PoolClient => {
        if (ended) throw new Error('held transaction already ended');
        return client;
      };
      return {
        query: async (sql, params) => run(open(), sql, params),
        exec: async (sql) => {
          await open().query(sql);
        },
        async commit() {
          if (ended) throw new Error('held transaction already ended');
          try {
            const res = await client.query('COMMIT');
            // COMMIT of a transaction a failed statement aborted answers
            // ROLLBACK, not an error: nothing was written.
            if (res.command !== 'COMMIT') throw new Error('held transaction was rolled back');
            end(false);
          } catch (err) {
            // A refused commit (a deferred constraint, a serialization
            // failure) reaches us before the server has finished aborting:
            // it reports the error first and releases the transaction's row
            // locks after. A caller that then writes the same rows from
            // another connection (the outbox counting a lost attempt, which
            // skips locked rows) could still find them locked. The server
            // answers this ROLLBACK only once the abort is done.
            await client.query('ROLLBACK').then(
              () => end(false),
              () => end(true),
            );
            throw err;
          }
        },
        async rollback() {
          if (ended) return;
          try {
            await client.query('ROLLBACK');
            end(false);
          } catch {
            end(true);
          }
        },
      };
    },
    close: async () => {
      closed = true;
      await Promise.all([pool.end(), heldPool?.end()]);
    },
  };
}
