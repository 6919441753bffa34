import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createNumberHasher } from '../../src/core/number-hash.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { decideBatch } from '../../src/operator/identification/decide-batch.js';
import { decideIdentification } from '../../src/operator/identification/decide-identification.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

// migrations/operator/0011_register_references.sql: the register refers to
// contracts, and requests to entries, without foreign keys; history is kept
// by triggers and the decisions write only references they just read.
describeEachDriver('register references', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const hashNumber = createNumberHasher('a test key of 32 bytes, not real');
  const numbers = ['+79160000001', '+79160000002', '+79160000003'];

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
    const applied = await applySubscriberEvents(
      db,
      numbers.map(
        (msisdn, n) =>
          ({
            eventId: newId(),
            type: 'contract_started',
            msisdn,
            contractId: `c-${n}`,
            occurredAt: '2020-01-01T00:00:00Z',
            subscriberType: 'individual',
            hasSubscriberData: true,
          }) as SubscriberEvent,
      ),
      { clock },
    );
    expect(applied.every((r) => r.status === 'applied')).toBe(true);
  });
  afterEach(() => db.close());

  it('refuses to delete, truncate or re-key contracts and register entries (R5, R12)', async () => {
    const refused = { code: '23001' };
    await expect(db.query('DELETE FROM subscriber_contracts')).rejects.toMatchObject(refused);
    await expect(db.query('TRUNCATE subscriber_contracts CASCADE')).rejects.toMatchObject(refused);
    await expect(
      db.query("UPDATE subscriber_contracts SET contract_id = 'other' WHERE contract_id = 'c-0'"),
    ).rejects.toMatchObject(refused);
    await expect(db.query('DELETE FROM register_entries')).rejects.toMatchObject(refused);
    await expect(db.query('TRUNCATE register_entries CASCADE')).rejects.toMatchObject(refused);
    // Ending a contract and closing an entry are updates of other columns.
    await db.query(
      "UPDATE subscriber_contracts SET contract_end = '2026-01-01Z' WHERE contract_id = 'c-0'",
    );
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM subscriber_contracts',
    );
    expect(rows[0]?.n).toBe(3);
  });

  it('writes entries only for contracts that exist, and requests only for their own entries', async () => {
    const at = new Date('2026-11-28T09:00:00Z');
    await db.transaction((tx) =>
      decideIdentification(
        tx,
        { ids: newId, hashNumber, slowPathEnabled: false },
        {
          messengerId: 'tamtam',
          receivedAt: at,
          request: {
            requestId: newId(),
            msisdn: numbers[0] as string,
            identificationCode: 'code-0001-abcdefgh',
            purpose: 'registration',
            possessionVerifiedAt: at.toISOString(),
          },
        },
      ),
    );
    await db.transaction((tx) =>
      decideBatch(
        tx,
        { ids: newId, hashNumber },
        {
          messengerId: 'tamtam',
          receivedAt: at,
          batch: {
            batchId: newId(),
            items: [...numbers.slice(1), '+79169999999'].map((msisdn, n) => ({
              requestId: newId(),
              msisdn,
              identificationCode: `code-100${n}-abcdefgh`,
              userSince: '2021-01-01',
            })),
          },
        },
      ),
    );
    const { rows } = await db.query<{ entries: number; orphans: number; linked: number }>(
      `SELECT (SELECT count(*)::int FROM register_entries) AS entries,
              (SELECT count(*)::int FROM register_entries e WHERE NOT EXISTS (
                 SELECT 1 FROM subscriber_contracts c
                 WHERE c.msisdn = e.msisdn AND c.contract_id = e.contract_id))
              + (SELECT count(*)::int FROM identification_requests r
                 WHERE r.entry_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM register_entries e WHERE e.entry_id = r.entry_id)) AS orphans,
              (SELECT count(*)::int FROM identification_requests r
                 JOIN register_entries e ON e.entry_id = r.entry_id
                 AND e.request_id = r.request_id AND e.code = r.code) AS linked`,
    );
    expect(rows[0]).toEqual({ entries: 3, orphans: 0, linked: 3 });
  });
});
