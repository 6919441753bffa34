import { copyFile, mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { readLegacySummary } from '../../src/messenger/legacy/index.js';
import { readBatchRequest } from '../../src/messenger/legacy/legacy-batch-store.js';
import { MESSENGER_MIGRATION_SETS } from '../../src/messenger/start-messenger-node.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

// Upgrading a messenger in the middle of a reconciliation: batches planned
// under migration 0023 kept their items on the users' legacy_users rows
// (status 'planned'); 0024 moves the items of unapplied batches into the
// batch rows, so the next `reconcile` re-sends the same body.

/** The messenger's migrations before 0024, as an older release shipped them. */
async function migrationsBefore(version: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idbridge-old-migrations-'));
  for (const set of MESSENGER_MIGRATION_SETS) {
    await mkdir(join(dir, set));
    for (const name of await readdir(join(MIGRATIONS_DIR, set))) {
      if (Number(name.slice(0, 4)) < version) {
        await copyFile(join(MIGRATIONS_DIR, set, name), join(dir, set, name));
      }
    }
  }
  return dir;
}

const U1 = '018f0000-0000-7000-8000-000000000001';
const U2 = '018f0000-0000-7000-8000-000000000002';
const U3 = '018f0000-0000-7000-8000-000000000003';
const SENT = '018f0000-0000-7000-9000-00000000000a';
const APPLIED = '018f0000-0000-7000-9000-00000000000b';
const EMPTY = '018f0000-0000-7000-9000-00000000000c';
// U1's request id sorts after U2's: the old body was ordered by request id.
const R1 = '018f0000-0000-7000-a000-000000000009';
const R2 = '018f0000-0000-7000-a000-000000000001';
const R3 = '018f0000-0000-7000-a000-000000000005';

describeEachDriver('migration 0024: legacy batch items', (kind) => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('moves the items of unapplied batches into the batch and sets their users waiting', async () => {
    db = await createTestDatabase(kind);
    await migrate(db, MESSENGER_MIGRATION_SETS, { dir: await migrationsBefore(24) });
    const at = '2026-11-01T00:00:00Z';
    await db.query(
      `INSERT INTO users (user_id, msisdn, state, legacy_user_since, created_at, updated_at)
       VALUES ($1, '+79160000001', 'legacy', '2015-01-02', $4, $4),
              ($2, '+79160000002', 'legacy', '2016-03-04', $4, $4),
              ($3, '+79260000003', 'identified', '2017-05-06', $4, $4)`,
      [U1, U2, U3, at],
    );
    await db.query(
      `INSERT INTO legacy_batches (batch_id, operator_id, state, item_count, planned_at, send_count)
       VALUES ($1, 'mts', 'sent', 2, $4, 1), ($2, 'megafon', 'applied', 1, $4, 1),
              ($3, 'mts', 'planned', 0, $4, 0)`,
      [SENT, APPLIED, EMPTY, at],
    );
    await db.query(
      `INSERT INTO legacy_users (user_id, user_ref, status, operator_id, batch_id, request_id, code)
       VALUES ($1, 'a', 'planned', 'mts', $4, $6, 'code-1'),
              ($2, 'b', 'planned', 'mts', $4, $7, 'code-2'),
              ($3, 'c', 'matched', 'megafon', $5, $8, 'code-3')`,
      [U1, U2, U3, SENT, APPLIED, R1, R2, R3],
    );

    const report = await migrate(db, MESSENGER_MIGRATION_SETS);
    expect(report.applied.map((m) => m.version)).toContain(24);

    const { body, userIds } = await readBatchRequest(db, SENT);
    expect(body.items).toEqual([
      {
        requestId: R2,
        msisdn: '+79160000002',
        identificationCode: 'code-2',
        userSince: '2016-03-04',
      },
      {
        requestId: R1,
        msisdn: '+79160000001',
        identificationCode: 'code-1',
        userSince: '2015-01-02',
      },
    ]);
    expect(userIds).toEqual([U2, U1]);
    const { rows } = await db.query<{ batch_id: string; item_count: number; n: number | null }>(
      'SELECT batch_id, item_count, cardinality(user_ids) AS n FROM legacy_batches ORDER BY batch_id',
    );
    expect(rows).toEqual([
      { batch_id: SENT, item_count: 2, n: 2 },
      // Applied batches keep their history on the users' rows.
      { batch_id: APPLIED, item_count: 1, n: null },
      { batch_id: EMPTY, item_count: 0, n: 0 },
    ]);
    const statuses = await db.query<{ user_ref: string; status: string }>(
      'SELECT user_ref, status FROM legacy_users ORDER BY user_ref',
    );
    expect(statuses.rows).toEqual([
      { user_ref: 'a', status: 'waiting' },
      { user_ref: 'b', status: 'waiting' },
      { user_ref: 'c', status: 'matched' },
    ]);
    expect((await readLegacySummary(db)).pending).toBe(2);
    // A batch's items must match its count.
    await expect(
      db.query(`UPDATE legacy_batches SET item_count = 3 WHERE batch_id = $1`, [SENT]),
    ).rejects.toThrow(/legacy_batches_items_match/);
  });
});
