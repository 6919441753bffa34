import { afterEach, beforeEach, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/clock.js';
import {
  claimDueBatch,
  markDelivered,
  markFailed,
  markRejected,
  releaseClaims,
} from '../../src/outbox/outbox-store.js';
import { describeEachDriver } from '../helpers/test-database.js';
import { createOutboxFixture, notice, notices, type OutboxFixture, T0 } from './outbox-fixture.js';

const LEASE = 60_000;

describeEachDriver('outbox store', (kind) => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
  });
  afterEach(() => f.db.close());

  const claim = (
    workerId: string,
    extra: { maxItems?: number; skipPartners?: string[]; avoidPartners?: string[] } = {},
  ) => claimDueBatch(f.db, { workerId, leaseMs: LEASE, now: f.clock.now(), ...extra });

  it('leaves nothing behind when the enqueuing transaction rolls back (side effects after commit)', async () => {
    await expect(
      f.db.transaction(async (tx) => {
        await f.enqueue(notices('tamtam', 3), tx);
        throw new Error('decision failed');
      }),
    ).rejects.toThrow('decision failed');
    expect(await f.rows()).toEqual([]);
    expect(await claim('w1')).toBeNull();
  });

  it('enqueues the same dedupe key only once per kind', async () => {
    const first = await f.enqueue([notice('tamtam', 1), notice('tamtam', 1)]);
    const again = await f.enqueue([notice('tamtam', 1)]);
    const otherKind = await f.enqueue([{ ...notice('tamtam', 1), kind: 'webhook' }]);
    expect(first).toHaveLength(1);
    expect(again).toHaveLength(0);
    expect(otherKind).toHaveLength(1);
    expect(await f.rows()).toHaveLength(2);
  });

  it('enqueues thousands of items in one call with payloads and deadlines intact', async () => {
    const dueBy = new Date(Date.parse(T0) + 24 * HOUR_MS);
    const items = notices('tamtam', 12_000).map((n) => ({ ...n, dueBy }));
    const ids = await f.enqueue(items);
    expect(new Set(ids).size).toBe(12_000);
    const { rows } = await f.db.query<{ n: string; due: Date; code: string }>(
      `SELECT count(*) AS n, min(due_by) AS due, max(payload->>'identificationCode') AS code FROM outbox`,
    );
    expect(Number(rows[0]?.n)).toBe(12_000);
    expect(rows[0]?.due.toISOString()).toBe(dueBy.toISOString());
    expect(rows[0]?.code).toBe('code-9999');
  });

  it('claims, delivers and keeps the delivered row as history', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    const batch = await claim('w1');
    expect(batch).toMatchObject({ kind: 'notice', partnerId: 'tamtam', hold: 'w1' });
    // The batch's lease end is the one written into the row.
    expect(batch?.claimedUntil).toEqual((await f.row(id!)).claimedUntil);
    expect(batch?.claimedUntil?.toISOString()).toBe('2026-11-28T09:01:00.000Z');
    expect(batch?.items).toEqual([
      expect.objectContaining({
        id,
        attempts: 1,
        payload: expect.objectContaining({ notificationId: 'n-1' }),
      }),
    ]);
    f.clock.advance(1_000);
    expect(await markDelivered(f.db, [id!], 'w1', f.clock.now())).toBe(1);
    const row = await f.row(id!);
    expect(row).toMatchObject({ state: 'delivered', claimedBy: null, attempts: 1 });
    expect(row.deliveredAt?.toISOString()).toBe('2026-11-28T09:00:01.000Z');
    expect(await claim('w2')).toBeNull();
  });

  it('claims one partner and kind per batch, at most maxItems, oldest first', async () => {
    await f.enqueue(notices('tamtam', 5));
    f.clock.advance(1);
    await f.enqueue([...notices('vk', 3), { ...notice('tamtam', 99), kind: 'webhook' }]);
    f.clock.advance(1);
    const batches = [];
    for (let b = await claim('w1', { maxItems: 2 }); b; b = await claim('w1', { maxItems: 2 })) {
      batches.push(b);
    }
    for (const b of batches) expect(b.items.length).toBeLessThanOrEqual(2);
    expect(batches[0]?.partnerId).toBe('tamtam');
    const byGroup = new Map<string, number>();
    for (const b of batches) {
      const key = `${b.partnerId}/${b.kind}`;
      byGroup.set(key, (byGroup.get(key) ?? 0) + b.items.length);
    }
    expect(Object.fromEntries(byGroup)).toEqual({
      'tamtam/notice': 5,
      'vk/notice': 3,
      'tamtam/webhook': 1,
    });
  });

  it('does not claim items scheduled for later or of skipped partners', async () => {
    await f.enqueue([notice('tamtam', 1, { notBefore: new Date(Date.parse(T0) + MINUTE_MS) })]);
    await f.enqueue([notice('vk', 2)]);
    expect(await claim('w1', { skipPartners: ['vk'] })).toBeNull();
    f.clock.advance(MINUTE_MS);
    expect((await claim('w1', { skipPartners: ['vk'] }))?.partnerId).toBe('tamtam');
  });

  it('takes an avoided partner only when no other partner has anything due', async () => {
    await f.enqueue(notices('tamtam', 2));
    f.clock.advance(1);
    await f.enqueue(notices('vk', 1, 10));
    f.clock.advance(1);
    // tamtam's rows are older, yet a worker already sending to tamtam takes vk first.
    expect((await claim('w1', { avoidPartners: ['tamtam'], maxItems: 1 }))?.partnerId).toBe('vk');
    expect((await claim('w1', { avoidPartners: ['tamtam'], maxItems: 1 }))?.partnerId).toBe(
      'tamtam',
    );
    // Skipping is firm: nothing else is due, so nothing is claimed.
    expect(await claim('w1', { skipPartners: ['tamtam'] })).toBeNull();
  });

  it('moves a claimed row out of the due range until its lease ends, and returns items oldest first', async () => {
    // Ids ascend while due times descend: after the claim every row has the
    // same next attempt (the lease end), so only the pre-claim due time can
    // put the items in this order.
    const ids = await f.enqueue(
      [3, 2, 1].map((ago, n) =>
        notice('tamtam', n + 1, { notBefore: new Date(f.clock.now().getTime() - ago * 1_000) }),
      ),
    );
    const claimed = await claim('w1');
    expect(claimed?.items.map((i) => i.id)).toEqual(ids);
    const reversed = await f.enqueue(
      [1, 2, 3].map((ago, n) =>
        notice('vk', n + 1, { notBefore: new Date(f.clock.now().getTime() - ago * 1_000) }),
      ),
    );
    expect((await claim('w1'))?.items.map((i) => i.id)).toEqual([...reversed].reverse());
    for (const id of ids) {
      expect((await f.row(id)).nextAttemptAt.getTime()).toBe(f.clock.now().getTime() + LEASE);
    }
    expect(await claim('w2')).toBeNull();
  });

  it('follows the backoff schedule 5 s, 30 s, 2 min, 10 min, 30 min, then hourly', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    const expectedDelays = [
      5_000,
      30_000,
      2 * MINUTE_MS,
      10 * MINUTE_MS,
      30 * MINUTE_MS,
      HOUR_MS,
      HOUR_MS,
    ];
    let elapsed = 0;
    for (const delay of expectedDelays) {
      const batch = await claim('w1');
      expect(batch?.items[0]?.id).toBe(id);
      await markFailed(f.db, [id!], 'w1', 'HTTP 503', f.clock.now());
      const row = await f.row(id!);
      expect(row.nextAttemptAt.getTime() - f.clock.now().getTime()).toBe(delay);
      expect(row.lastError).toBe('HTTP 503');
      // Not due a millisecond early.
      f.clock.advance(delay - 1);
      expect(await claim('w1')).toBeNull();
      f.clock.advance(1);
      elapsed += delay;
    }
    expect((await f.row(id!)).attempts).toBe(expectedDelays.length);
    // Seven attempts took well under the 24 h notice deadline (R7).
    expect(elapsed).toBeLessThan(3 * HOUR_MS);
  });

  it('stores failure reasons with phone numbers masked (R11)', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    await claim('w1');
    await markFailed(f.db, [id!], 'w1', 'HTTP 400: bad msisdn +79161234567', f.clock.now());
    const { lastError } = await f.row(id!);
    expect(lastError).toMatch(/^HTTP 400: bad msisdn /);
    expect(lastError).not.toContain('79161234567');
  });

  it('uses a configured backoff schedule', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    await claim('w1');
    await markFailed(f.db, [id!], 'w1', 'timeout', f.clock.now(), { backoffMs: [1_000, 2_000] });
    expect((await f.row(id!)).nextAttemptAt.getTime()).toBe(Date.parse(T0) + 1_000);
  });

  it('lets another worker reclaim a dead worker’s items once the lease has expired', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    expect((await claim('dead'))?.items).toHaveLength(1);
    f.clock.advance(LEASE - 1);
    expect(await claim('w2')).toBeNull();
    f.clock.advance(1);
    const retaken = await claim('w2');
    expect(retaken?.items[0]).toMatchObject({ id, attempts: 2 });
    expect((await f.row(id!)).claimedBy).toBe('w2');
  });

  it('ignores a late completion by a worker whose lease was taken over', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    await claim('slow');
    f.clock.advance(LEASE);
    await claim('w2');
    expect(await markDelivered(f.db, [id!], 'slow', f.clock.now())).toBe(0);
    expect(await markFailed(f.db, [id!], 'slow', 'late', f.clock.now())).toBe(0);
    expect(await markRejected(f.db, [id!], 'slow', 'UNKNOWN_CODE', f.clock.now())).toBe(0);
    expect(await f.row(id!)).toMatchObject({ state: 'pending', claimedBy: 'w2', lastError: null });
    expect(await markDelivered(f.db, [id!], 'w2', f.clock.now())).toBe(1);
    expect(await markDelivered(f.db, [id!], 'w2', f.clock.now())).toBe(0);
  });

  it('never retries a rejected item (UNKNOWN_CODE)', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    await claim('w1');
    expect(await markRejected(f.db, [id!], 'w1', 'UNKNOWN_CODE', f.clock.now())).toBe(1);
    f.clock.advance(48 * HOUR_MS);
    expect(await claim('w1')).toBeNull();
    expect(await f.row(id!)).toMatchObject({ state: 'rejected', rejectionCode: 'UNKNOWN_CODE' });
  });

  it('releases claims without counting an attempt', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    const dueAt = (await f.row(id!)).nextAttemptAt;
    const claimed = await claim('w1');
    expect(claimed?.items[0]?.dueAt).toEqual(dueAt);
    f.clock.advance(1_000);
    expect(await releaseClaims(f.db, claimed?.items ?? [], 'w1')).toBe(1);
    // Back in line where it was, not behind rows that came due meanwhile.
    expect(await f.row(id!)).toMatchObject({ attempts: 0, claimedBy: null, nextAttemptAt: dueAt });
    expect((await claim('w2'))?.items[0]?.attempts).toBe(1);
  });
});
