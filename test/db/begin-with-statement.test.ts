import pg from 'pg';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { beginWithStatement, isParsedOn } from '../../src/db/begin-with-statement.js';
import type { Database } from '../../src/db/port.js';
import { createTestDatabase, describePostgresOnly } from '../helpers/test-database.js';

// BEGIN sent with a transaction's first statement is a node-postgres wire
// detail: PGlite has no connection to save a round trip on, so this suite
// runs whenever DATABASE_URL is set, like every postgres variant of
// describeEachDriver.
describePostgresOnly('BEGIN with the first statement', () => {
  const url = process.env.DATABASE_URL ?? '';
  const insert = {
    name: 'test_begin_insert',
    text: 'INSERT INTO begin_probe (id, at) VALUES ($1, $2) RETURNING id, at',
  };
  let pool: pg.Pool;
  let client: pg.PoolClient;
  let readies: number;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: url, max: 1 });
    client = await pool.connect();
    await client.query('CREATE TEMP TABLE begin_probe (id int PRIMARY KEY, at timestamptz)');
    // Prepared on this connection by a first, ordinary use.
    await client.query({ ...insert, values: [0, new Date(0)] });
    readies = 0;
    client.connection.on('readyForQuery', () => {
      readies++;
    });
  });
  afterEach(async () => {
    client.release();
    await pool.end();
  });

  it('runs BEGIN and a prepared statement in one round trip, inside the transaction', async () => {
    expect(isParsedOn(client, insert.name)).toBe(true);
    const at = new Date('2026-11-29T10:00:00Z');
    const result = await beginWithStatement(client, { ...insert, values: [1, at] });
    expect(readies).toBe(1);
    expect(result.rowCount).toBe(1);
    expect(result.rows).toEqual([{ id: 1, at }]);
    expect(client.getTransactionStatus()).toBe('T');
    await client.query('ROLLBACK');
    const { rows } = await client.query('SELECT id FROM begin_probe ORDER BY id');
    expect(rows).toEqual([{ id: 0 }]);
  });

  it('reports a failing statement and leaves an aborted transaction for ROLLBACK', async () => {
    await expect(
      beginWithStatement(client, { ...insert, values: [0, new Date()] }),
    ).rejects.toMatchObject({ code: '23505' });
    // node-postgres rejects on the ErrorResponse; the ReadyForQuery after
    // it (which carries the transaction status) may come in a later read
    // when the machine is busy.
    if (readies === 0) await new Promise((r) => client.connection.once('readyForQuery', r));
    expect(readies).toBe(1);
    expect(client.getTransactionStatus()).toBe('E');
    await client.query('ROLLBACK');
    // Still prepared and usable on the connection.
    const again = await beginWithStatement(client, { ...insert, values: [2, new Date()] });
    expect(again.rowCount).toBe(1);
    await client.query('COMMIT');
    const { rows } = await client.query('SELECT id FROM begin_probe ORDER BY id');
    expect(rows).toEqual([{ id: 0 }, { id: 2 }]);
  });
});

describePostgresOnly('transactions send BEGIN with their first statement', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await db.exec('CREATE TABLE probe (id int PRIMARY KEY)');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await db.close();
  });

  const insertProbe = 'INSERT INTO probe (id) VALUES ($1)';
  const ids = async () =>
    (await db.query<{ id: number }>('SELECT id FROM probe ORDER BY id')).rows.map((r) => r.id);
  /** Counts BEGINs sent as statements of their own from now on. */
  const countBeginsSentAlone = () => {
    const query = vi.spyOn(pg.Client.prototype, 'query');
    return () => query.mock.calls.filter(([q]) => q === 'BEGIN').length;
  };
  /** A transaction that inserts `id` and then throws: nothing of it may stay. */
  const insertThenAbandon = (id: number) =>
    expect(
      db.transaction(async (tx) => {
        await tx.query(insertProbe, [id]);
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');

  it('keeps a transaction atomic when its first statement carried BEGIN', async () => {
    // Every pooled connection prepares the statement once the ordinary way.
    for (let i = 1; i <= 5; i++) {
      await db.transaction((tx) => tx.query(insertProbe, [i]));
    }
    const sentAlone = countBeginsSentAlone();
    await insertThenAbandon(10);
    await db.transaction(async (tx) => {
      await tx.query(insertProbe, [11]);
      await tx.query(insertProbe, [12]);
    });
    expect(sentAlone()).toBe(0);
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 11, 12]);
  });

  it('sends BEGIN alone before a statement not yet prepared, and nothing for an empty transaction', async () => {
    const sentAlone = countBeginsSentAlone();
    await insertThenAbandon(20);
    expect(sentAlone()).toBe(1);
    expect(await db.transaction(async () => 'nothing run')).toBe('nothing run');
    expect(sentAlone()).toBe(1);
    expect(await ids()).toEqual([]);
  });
});
