/**
 * The database port every store uses: parameterized PostgreSQL, nothing more.
 * Two drivers implement it (node-postgres pool, embedded PGlite), so every
 * store and test runs unchanged on both.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type DriverKind = 'postgres' | 'pglite';

export interface Database extends Queryable {
  readonly kind: DriverKind;
  /** The schema every unqualified name resolves to. */
  readonly schema: string;
  /**
   * Runs `fn` inside one transaction: committed when it resolves, rolled back
   * when it throws. Nested calls are not supported; pass the `tx` down.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only (absent on PGlite, which is one connection): a
   * transaction the caller ends itself, on a connection outside the shared
   * pool, so it may stay open across slow work such as an HTTP delivery
   * without starving request handlers. The server ends it (rolling back) if
   * it sits idle longer than `idleTimeoutMs`, or at once if the process dies
   * and its connection closes. See openHeldTransaction in postgres-driver.ts.
   */
  openHeldTransaction?(options: { idleTimeoutMs: number }): Promise<HeldTransaction>;
  close(): Promise<void>;
}

/** A transaction left open on its own connection (Database.openHeldTransaction). */
export interface HeldTransaction extends Queryable {
  /** Commits; throws if the transaction was ended by the server or failed. */
  commit(): Promise<void>;
  /** Rolls back; never throws (a broken connection is discarded instead). */
  rollback(): Promise<void>;
}

/** A safe SQL identifier for a schema name (no quoting games). */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(schema)}: use [a-z_][a-z0-9_]*`);
  }
  return schema;
}
