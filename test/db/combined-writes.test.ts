import { afterEach, beforeEach, expect, it } from 'vitest';
import { combineWrites, runCombinedWrites } from '../../src/db/combined-writes.js';
import type { Database } from '../../src/db/port.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

it('renumbers each write’s placeholders after the ones before it', () => {
  const { sql, params } = combineWrites([
    { name: 'a', sql: 'INSERT INTO t VALUES ($1, $2)', params: [1, 2] },
    {
      name: 'b',
      sql: 'UPDATE u SET x = $2 WHERE id = $1 RETURNING 1',
      params: [3, 4],
      counted: true,
    },
  ]);
  expect(sql).toBe(
    'WITH a AS (INSERT INTO t VALUES ($1, $2)),\n' +
      'b AS (UPDATE u SET x = $4 WHERE id = $3 RETURNING 1)\n' +
      'SELECT (SELECT count(*) FROM b)::int AS b',
  );
  expect(params).toEqual([1, 2, 3, 4]);
});

it('refuses a placeholder beyond the write’s params, a repeated name or no writes', () => {
  expect(() => combineWrites([{ name: 'a', sql: 'SELECT $2', params: [1] }])).toThrow(
    /a uses \$2 but has 1 params/,
  );
  expect(() =>
    combineWrites([
      { name: 'a', sql: 'SELECT 1', params: [] },
      { name: 'a', sql: 'SELECT 2', params: [] },
    ]),
  ).toThrow(/repeated write name "a"/);
  expect(() => combineWrites([{ name: 'A; DROP', sql: 'SELECT 1', params: [] }])).toThrow(
    /bad or repeated/,
  );
  expect(() => combineWrites([])).toThrow(/at least one write/);
});

describeEachDriver('combined writes', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await db.exec(`
      CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parent (id));
      CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL);
      INSERT INTO counter VALUES (1, 0);`);
  });
  afterEach(() => db.close());

  it('runs every write in one statement, a foreign key between them included, and counts', async () => {
    const counts = await runCombinedWrites(db, [
      { name: 'child_added', sql: 'INSERT INTO child VALUES ($1, $2)', params: [10, 1] },
      { name: 'parent_added', sql: 'INSERT INTO parent VALUES ($1)', params: [1] },
      {
        name: 'bumped',
        sql: 'UPDATE counter SET n = n + $1 WHERE id = $2 RETURNING 1',
        params: [5, 1],
        counted: true,
      },
      {
        name: 'missed',
        sql: 'UPDATE counter SET n = 0 WHERE id = $1 RETURNING 1',
        params: [2],
        counted: true,
      },
    ]);
    expect(counts).toEqual({ bumped: 1, missed: 0 });
    const { rows } = await db.query<{ child: number; n: number }>(
      'SELECT (SELECT parent_id FROM child WHERE id = 10) AS child, (SELECT n FROM counter) AS n',
    );
    expect(rows[0]).toEqual({ child: 1, n: 5 });
  });

  it('changes nothing when one write fails', async () => {
    await expect(
      runCombinedWrites(db, [
        { name: 'parent_added', sql: 'INSERT INTO parent VALUES ($1)', params: [2] },
        { name: 'orphan', sql: 'INSERT INTO child VALUES ($1, $2)', params: [11, 99] },
      ]),
    ).rejects.toMatchObject({ code: '23503' });
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM parent');
    expect(rows[0]?.n).toBe(0);
  });
});
