import pg from 'pg';

/**
 * A transaction's BEGIN sent in the same message batch as its first
 * statement: one round trip to PostgreSQL instead of two.
 *
 * Why: on a busy machine a round trip costs more than a short statement. Each
 * one is a socket write that wakes the database backend and a read that
 * wakes the event loop; in bench operator-identify's CPU profile of the node,
 * socket writes were about a third of the samples. An identification is
 * BEGIN, two statements and COMMIT, so this removes a quarter of its round
 * trips.
 *
 * How: the extended protocol lets a client send several Parse/Bind/Execute
 * groups before one Sync; the server runs them in order and answers once.
 * BEGIN (unnamed statement and portal) goes first, then the statement as
 * node-postgres would send it. If BEGIN or the statement fails, the server
 * skips to the Sync; the transaction is then aborted (or was never begun) and
 * the caller's ROLLBACK ends it as it would any failed transaction.
 *
 * Only for a named statement already parsed on this connection: the
 * ParseComplete that answers BEGIN's Parse is taken by node-postgres as the
 * statement's own, so a statement whose real Parse then failed would be
 * remembered as prepared. `isParsedOn` tells the caller when it is safe.
 *
 * Built on node-postgres's Query (the same messages, type parsing and result
 * handling). The two methods overridden are internal to it; the connection
 * methods they call are the ones pg-cursor uses. test/db/begin-with-statement
 * pins the behaviour (one answer for both, the transaction open or aborted
 * after it), so a node-postgres upgrade that changes them fails there.
 */

interface WireConnection {
  parse(query: { text: string; name?: string }): void;
  bind(config: { statement?: string; portal?: string; values?: unknown[] }): void;
  execute(config: { portal?: string; rows?: number }): void;
  parsedStatements: Record<string, string | undefined>;
}

interface QueryHooks {
  prepare(connection: WireConnection): void;
  handleCommandComplete(msg: unknown, connection: WireConnection): void;
}

type QueryCallback = (err: Error | undefined, result: pg.QueryResult) => void;

const NodePostgresQuery = pg.Query as unknown as new (
  config: pg.QueryConfig,
  callback: QueryCallback,
) => QueryHooks;

class BeginThenStatement extends NodePostgresQuery {
  #beginAnswered = false;

  override prepare(connection: WireConnection): void {
    connection.parse({ text: 'BEGIN' });
    connection.bind({});
    connection.execute({});
    super.prepare(connection);
  }

  override handleCommandComplete(msg: unknown, connection: WireConnection): void {
    // The first CommandComplete is BEGIN's; the statement's result starts after it.
    if (!this.#beginAnswered) {
      this.#beginAnswered = true;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}

/** Whether the named statement is prepared on this client's connection. */
export function isParsedOn(client: pg.PoolClient, name: string): boolean {
  const connection = client.connection as unknown as WireConnection;
  return connection.parsedStatements[name] !== undefined;
}

/**
 * Runs BEGIN and then the named statement in one round trip (see above);
 * resolves with the statement's result.
 */
export function beginWithStatement(
  client: pg.PoolClient,
  config: { name: string; text: string; values: unknown[] | undefined },
): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = new BeginThenStatement(config, (err, result) =>
      err ? reject(err) : resolve(result),
    );
    client.query(query as unknown as pg.Submittable);
  });
}
