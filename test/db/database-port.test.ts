import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/db/port.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('database port', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await db.exec('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, at timestamptz)');
  });
  afterEach(() => db.close());

  it('binds parameters and returns typed rows with a row count', async () => {
    const inserted = await db.query('INSERT INTO items (id, name) VALUES ($1, $2), ($3, $4)', [
      1,
      'one',
      2,
      'two',
    ]);
    expect(inserted.rowCount).toBe(2);
    const { rows } = await db.query<{ id: number; name: string }>(
      'SELECT id, name FROM items WHERE id = ANY($1::int[]) ORDER BY id',
      [[1, 2]],
    );
    expect(rows).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
    ]);
  });

  it('counts returned rows for SELECT and affected rows for writes, as node-postgres does', async () => {
    await db.query("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')");
    expect((await db.query('SELECT 1 FROM items WHERE id = 1')).rowCount).toBe(1);
    expect((await db.query('SELECT 1 FROM items WHERE id = 3')).rowCount).toBe(0);
    expect((await db.query("UPDATE items SET name = 'c'")).rowCount).toBe(2);
    expect((await db.query('DELETE FROM items WHERE id = 1 RETURNING id')).rowCount).toBe(1);
  });

  it('returns timestamps as Dates on both drivers', async () => {
    await db.query('INSERT INTO items VALUES (1, $1, $2)', ['x', new Date('2026-11-28T09:00:00Z')]);
    const { rows } = await db.query<{ at: Date }>('SELECT at FROM items');
    expect(rows[0]?.at).toBeInstanceOf(Date);
    expect(rows[0]?.at.toISOString()).toBe('2026-11-28T09:00:00.000Z');
  });

  it('commits a transaction that resolves', async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id, name) VALUES (1, $1)', ['kept']);
      return 'done';
    });
    expect(result).toBe('done');
    expect((await db.query('SELECT * FROM items')).rows).toHaveLength(1);
  });

  it('rolls back every statement of a transaction that throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO items (id, name) VALUES (1, $1)', ['lost']);
        await tx.query('INSERT INTO items (id, name) VALUES (1, $1)', ['duplicate key']);
      }),
    ).rejects.toThrow(/duplicate key|unique/);
    expect((await db.query('SELECT * FROM items')).rows).toHaveLength(0);
    // The connection is usable after the rollback.
    await db.query('INSERT INTO items (id, name) VALUES (1, $1)', ['after']);
    expect((await db.query('SELECT * FROM items')).rows).toHaveLength(1);
  });

  it('keeps each test in its own schema', async () => {
    const other = await createTestDatabase(kind);
    try {
      expect(other.schema).not.toBe(db.schema);
      await expect(other.query('SELECT * FROM items')).rejects.toThrow(/items/);
    } finally {
      await other.close();
    }
  });
});
