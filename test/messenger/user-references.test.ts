import { afterEach, beforeEach, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { MESSENGER_MIGRATION_SETS } from '../../src/messenger/start-messenger-node.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

// migrations/messenger/0023_user_references.sql: transitions and legacy rows
// refer to users and batches without foreign keys; the rows referred to are
// history and the database refuses to delete or re-key them.
describeEachDriver('user references', (kind) => {
  let db: Database;
  const userId = newId();
  const batchId = newId();

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, MESSENGER_MIGRATION_SETS);
    const at = '2026-11-28T09:00:00Z';
    await db.query(
      `INSERT INTO users (user_id, msisdn, state, legacy_user_since, created_at, updated_at)
       VALUES ($1, '+79160000001', 'legacy', '2019-01-01', $2, $2)`,
      [userId, at],
    );
    await db.query(
      `INSERT INTO legacy_batches (batch_id, operator_id, state, item_count, planned_at)
       VALUES ($1, 'mts', 'planned', 1, $2)`,
      [batchId, at],
    );
  });
  afterEach(() => db.close());

  it('refuses to delete, truncate or re-key users and legacy batches (R12)', async () => {
    const refused = { code: '23001' };
    await expect(db.query('DELETE FROM users')).rejects.toMatchObject(refused);
    await expect(db.query('TRUNCATE users CASCADE')).rejects.toMatchObject(refused);
    await expect(db.query('UPDATE users SET user_id = $1', [newId()])).rejects.toMatchObject(
      refused,
    );
    await expect(db.query('DELETE FROM legacy_batches')).rejects.toMatchObject(refused);
    await expect(
      db.query('UPDATE legacy_batches SET batch_id = $1', [newId()]),
    ).rejects.toMatchObject(refused);
    // A user leaves by its state; other columns change freely.
    await db.query("UPDATE users SET state = 'deleted' WHERE user_id = $1", [userId]);
    const { rows } = await db.query<{ users: number; batches: number }>(
      `SELECT (SELECT count(*)::int FROM users) AS users,
              (SELECT count(*)::int FROM legacy_batches) AS batches`,
    );
    expect(rows[0]).toEqual({ users: 1, batches: 1 });
  });
});
