import { afterEach, beforeEach, expect, it } from 'vitest';
import { claimDueBatch } from '../../src/outbox/outbox-store.js';
import { describeEachDriver } from '../helpers/test-database.js';
import { createOutboxFixture, notices, type OutboxFixture } from './outbox-fixture.js';

describeEachDriver('outbox claims under concurrency', (kind) => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
  });
  afterEach(() => f.db.close());

  it('never hands the same row to two of many parallel claimers (FOR UPDATE SKIP LOCKED)', async () => {
    const partners = ['tamtam', 'vk', 'max', 'icq', 'dialog'];
    for (const p of partners) await f.enqueue(notices(p, 800));
    const total = partners.length * 800;
    const claimedBy = new Map<string, string[]>();
    const claimer = async (workerId: string): Promise<void> => {
      for (;;) {
        const batch = await claimDueBatch(f.db, {
          workerId,
          maxItems: 97,
          leaseMs: 60_000,
          now: f.clock.now(),
        });
        if (!batch) return;
        expect(batch.items.length).toBeLessThanOrEqual(97);
        for (const item of batch.items) {
          claimedBy.set(item.id, [...(claimedBy.get(item.id) ?? []), workerId]);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => claimer(`c${i}`)));
    // A claimer may stop on a momentarily contended head row; sweep the rest.
    await claimer('sweeper');

    expect(claimedBy.size).toBe(total);
    const twice = [...claimedBy].filter(([, workers]) => workers.length > 1);
    expect(twice).toEqual([]);
    const { rows } = await f.db.query<{ id: string; claimed_by: string; attempts: number }>(
      'SELECT id::text AS id, claimed_by, attempts FROM outbox',
    );
    expect(rows).toHaveLength(total);
    for (const row of rows) {
      expect(row.attempts).toBe(1);
      expect(claimedBy.get(row.id)).toEqual([row.claimed_by]);
    }
  });
});
