import { afterEach, beforeEach, expect, it } from 'vitest';
import { joinByKeyLookups } from '../../src/db/key-lookup-joins.js';
import type { Database, Queryable } from '../../src/db/port.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

// The shape of the legacy reconciliation's writes: a key list of thousands
// joined to a table by its primary key (messenger/legacy).
const KEY_LIST_UPDATE = `EXPLAIN UPDATE accounts a SET state = 'done'
  FROM unnest($1::int[]) AS k(id) WHERE a.id = k.id`;

async function planOf(tx: Queryable, keys: number[]): Promise<string> {
  const { rows } = await tx.query<{ 'QUERY PLAN': string }>(KEY_LIST_UPDATE, [keys]);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describeEachDriver('key-lookup joins', (kind) => {
  let db: Database;
  const keys = Array.from({ length: 5_000 }, (_, i) => i * 7);
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await db.exec(`
      CREATE TABLE accounts (id int PRIMARY KEY, state text NOT NULL);
      INSERT INTO accounts SELECT g, 'waiting' FROM generate_series(1, 50000) g;
      ANALYZE accounts;`);
  });
  afterEach(() => db.close());

  it('turns the planner’s whole-table join of a key list into index lookups, for that transaction only', async () => {
    // Without it the planner reads the whole table for a list this long
    // (which is what makes the test able to fail).
    const before = await db.transaction((tx) => planOf(tx, keys));
    expect(before).toMatch(/Hash Join|Merge Join/);

    const inside = await db.transaction(async (tx) => {
      await joinByKeyLookups(tx);
      return planOf(tx, keys);
    });
    expect(inside).toMatch(/Nested Loop/);
    expect(inside).toMatch(/Index Scan using accounts_pkey/);
    expect(inside).not.toMatch(/Hash Join|Merge Join|Seq Scan on accounts/);

    // SET LOCAL: the next transaction plans as before.
    const after = await db.transaction((tx) => planOf(tx, keys));
    expect(after).toMatch(/Hash Join|Merge Join/);
  });
});
