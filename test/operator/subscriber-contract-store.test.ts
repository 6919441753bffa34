import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import {
  findValidContract,
  findValidContracts,
} from '../../src/operator/subscribers/subscriber-contract-store.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

let seq = 0;
const id = () => `00000000-0000-4000-9000-${(++seq).toString(16).padStart(12, '0')}`;
const start = (msisdn: string, contractId: string, at: string): SubscriberEvent => ({
  type: 'contract_started',
  eventId: id(),
  msisdn,
  contractId,
  occurredAt: at,
  subscriberType: 'individual',
  hasSubscriberData: true,
});
const end = (msisdn: string, contractId: string, at: string): SubscriberEvent => ({
  type: 'contract_terminated',
  eventId: id(),
  msisdn,
  contractId,
  occurredAt: at,
});

describeEachDriver('subscriber contract store', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
    // A: c-1 2018–2021, then c-2 from 2021. B: ended in 2022. C: from 2025.
    const results = await applySubscriberEvents(
      db,
      [
        start('+79160000001', 'c-1', '2018-01-01T00:00:00Z'),
        end('+79160000001', 'c-1', '2021-01-01T00:00:00Z'),
        start('+79160000001', 'c-2', '2021-01-01T00:00:00Z'),
        start('+79160000002', 'b-1', '2019-01-01T00:00:00Z'),
        end('+79160000002', 'b-1', '2022-01-01T00:00:00Z'),
        start('+79160000003', 'n-1', '2025-01-01T00:00:00Z'),
      ],
      { clock },
    );
    expect(results.every((r) => r.status === 'applied')).toBe(true);
  });
  afterEach(() => db.close());

  it('answers a batch in input order, with null for no valid contract or a malformed number', async () => {
    const numbers = [
      '+79160000003',
      '+79160000001',
      'garbage',
      '+79160000002',
      '+79169999999',
      '+79160000001',
    ];
    const at2020 = await findValidContracts(db, numbers, new Date('2020-06-01T00:00:00Z'));
    expect(at2020.map((c) => c?.contractId ?? null)).toEqual([
      null,
      'c-1',
      null,
      'b-1',
      null,
      'c-1',
    ]);
    const at2026 = await findValidContracts(db, numbers, new Date('2026-06-01T00:00:00Z'));
    expect(at2026.map((c) => c?.contractId ?? null)).toEqual([
      'n-1',
      'c-2',
      null,
      null,
      null,
      'c-2',
    ]);
    expect(at2026[0]).toMatchObject({ msisdn: '+79160000003', contractEnd: null });
  });

  it('gives the same answers one by one as in a batch', async () => {
    const numbers = ['+79160000001', '+79160000002', '+79160000003'];
    for (const at of ['2018-06-01T00:00:00Z', '2021-01-01T00:00:00Z', '2023-01-01T00:00:00Z']) {
      const batch = await findValidContracts(db, numbers, new Date(at));
      const single = await Promise.all(numbers.map((n) => findValidContract(db, n, new Date(at))));
      expect(batch).toEqual(single);
    }
  });

  it('answers an empty batch without querying', async () => {
    expect(await findValidContracts(db, [], new Date())).toEqual([]);
  });

  it('refuses a second open contract for a number at the database level', async () => {
    await expect(
      db.query(
        `INSERT INTO subscriber_contracts (msisdn, contract_id, subscriber_type, has_subscriber_data,
           contract_start, updated_at) VALUES (79160000001, 'c-3', 'individual', true, now(), now())`,
      ),
    ).rejects.toThrow(/subscriber_contracts_one_open/);
  });
});
