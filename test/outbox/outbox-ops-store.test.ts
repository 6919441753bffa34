import { afterEach, beforeEach, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/clock.js';
import {
  findDeadlineRisks,
  inspectOutbox,
  outboxStatus,
  purgeDeliveredOutbox,
  retryOutbox,
} from '../../src/outbox/outbox-ops-store.js';
import {
  claimDueBatch,
  markDelivered,
  markFailed,
  markRejected,
} from '../../src/outbox/outbox-store.js';
import { describeEachDriver } from '../helpers/test-database.js';
import { createOutboxFixture, notice, type OutboxFixture, T0 } from './outbox-fixture.js';

const at = (ms: number) => new Date(Date.parse(T0) + ms);

describeEachDriver('outbox operations', (kind) => {
  let f: OutboxFixture;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
  });
  afterEach(() => f.db.close());

  /** Claims everything due of one partner as `w` and returns the ids. */
  const claimAll = async (partner: string, w = 'w1'): Promise<string[]> => {
    const b = await claimDueBatch(f.db, {
      workerId: w,
      leaseMs: 60_000,
      now: f.clock.now(),
      kinds: ['notice'],
    });
    expect(b?.partnerId).toBe(partner);
    return b?.items.map((i) => i.id) ?? [];
  };

  it('reports backlog, failures, rejections and the oldest due item per partner and kind', async () => {
    const [a1, a2, a3] = await f.enqueue([
      notice('tamtam', 1, { dueBy: at(24 * HOUR_MS) }),
      notice('tamtam', 2, { dueBy: at(20 * HOUR_MS) }),
      notice('tamtam', 3),
    ]);
    f.clock.advance(1_000);
    await f.enqueue([notice('vk', 4)]);
    await claimAll('tamtam');
    await markFailed(f.db, [a1!], 'w1', 'HTTP 503', f.clock.now());
    await markRejected(f.db, [a2!], 'w1', 'UNKNOWN_CODE', f.clock.now());
    await markDelivered(f.db, [a3!], 'w1', f.clock.now());

    const status = await outboxStatus(f.db, f.clock.now());
    expect(status).toEqual([
      {
        partnerId: 'tamtam',
        kind: 'notice',
        pending: 1,
        due: 0,
        failing: 1,
        inFlight: 0,
        rejected: 1,
        oldestDueAt: null,
        earliestDueBy: at(24 * HOUR_MS),
        nextAttemptAt: at(1_000 + 5_000),
      },
      {
        partnerId: 'vk',
        kind: 'notice',
        pending: 1,
        due: 1,
        failing: 0,
        inFlight: 0,
        rejected: 0,
        oldestDueAt: at(1_000),
        earliestDueBy: null,
        nextAttemptAt: at(1_000),
      },
    ]);
  });

  it('inspects failing rows with their last error and attempts, payloads only on request', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1), notice('vk', 2)]);
    await claimAll('tamtam');
    await markFailed(f.db, [id!], 'w1', 'connect ECONNREFUSED', f.clock.now());
    const failing = await inspectOutbox(f.db, { state: 'failing', limit: 10 });
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({
      id,
      partnerId: 'tamtam',
      attempts: 1,
      lastError: 'connect ECONNREFUSED',
    });
    expect(failing[0]).not.toHaveProperty('payload');
    const withPayload = await inspectOutbox(f.db, { partnerId: 'vk', includePayload: true });
    expect(withPayload.map((r) => r.payload)).toEqual([
      expect.objectContaining({ notificationId: 'n-2' }),
    ]);
  });

  it('retry makes failing rows of a partner due now, and rejected ones only when asked', async () => {
    const [failing, rejected] = await f.enqueue([
      notice('tamtam', 1),
      notice('tamtam', 2),
      notice('tamtam', 3),
    ]);
    await claimAll('tamtam');
    await markFailed(f.db, [failing!], 'w1', 'HTTP 500', f.clock.now());
    await markRejected(f.db, [rejected!], 'w1', 'UNKNOWN_CODE', f.clock.now());
    f.clock.advance(60_000); // the third row's lease ends; it has no error, so retry leaves it be

    expect(await retryOutbox(f.db, { partnerId: 'tamtam', now: at(1_000) })).toBe(1);
    expect((await f.row(failing!)).nextAttemptAt).toEqual(at(1_000));
    expect((await f.row(rejected!)).state).toBe('rejected');

    expect(
      await retryOutbox(f.db, { partnerId: 'tamtam', includeRejected: true, now: at(2_000) }),
    ).toBe(2);
    expect(await f.row(rejected!)).toMatchObject({
      state: 'pending',
      rejectionCode: null,
      nextAttemptAt: at(2_000),
    });
  });

  it('retry by id reopens a rejected row and never touches delivered ones', async () => {
    const [rejected, delivered] = await f.enqueue([notice('tamtam', 1), notice('tamtam', 2)]);
    await claimAll('tamtam');
    await markRejected(f.db, [rejected!], 'w1', 'UNKNOWN_CODE', f.clock.now());
    await markDelivered(f.db, [delivered!], 'w1', f.clock.now());
    expect(await retryOutbox(f.db, { ids: [rejected!, delivered!], now: f.clock.now() })).toBe(1);
    expect(
      (await claimDueBatch(f.db, { workerId: 'w2', leaseMs: 1, now: f.clock.now() }))?.items.map(
        (i) => i.id,
      ),
    ).toEqual([rejected]);
    expect((await f.row(delivered!)).state).toBe('delivered');
  });

  it('raises a deadline-risk alert once per undelivered row within the warning window', async () => {
    const [near, far, done] = await f.enqueue([
      notice('tamtam', 1, { dueBy: at(3 * HOUR_MS) }),
      notice('tamtam', 2, { dueBy: at(24 * HOUR_MS) }),
      notice('tamtam', 3, { dueBy: at(HOUR_MS) }),
      notice('tamtam', 4),
    ]);
    await claimAll('tamtam');
    await markDelivered(f.db, [done!], 'w1', f.clock.now());
    f.clock.advance(HOUR_MS + 1); // near is 2 h away; far 23 h

    const risks = await findDeadlineRisks(f.db, { now: f.clock.now(), warnBeforeMs: 2 * HOUR_MS });
    expect(risks.map((r) => r.id)).toEqual([near]);
    expect(risks[0]).toMatchObject({ partnerId: 'tamtam', kind: 'notice', attempts: 1 });
    expect(
      await findDeadlineRisks(f.db, { now: f.clock.now(), warnBeforeMs: 2 * HOUR_MS }),
    ).toEqual([]);

    f.clock.advance(30 * HOUR_MS); // far is now overdue
    const later = await findDeadlineRisks(f.db, { now: f.clock.now(), warnBeforeMs: 2 * HOUR_MS });
    expect(later.map((r) => r.id)).toEqual([far]);
    expect((await f.row(near!)).alertedAt).toEqual(at(HOUR_MS + 1));
  });

  it('never deletes an undelivered row; purge removes only old delivered history', async () => {
    const [old, recent, pending, rejected] = await f.enqueue([
      notice('tamtam', 1),
      notice('tamtam', 2),
      notice('tamtam', 3),
      notice('tamtam', 4),
    ]);
    await claimAll('tamtam');
    await markDelivered(f.db, [old!], 'w1', f.clock.now());
    await markRejected(f.db, [rejected!], 'w1', 'UNKNOWN_CODE', f.clock.now());
    f.clock.advance(10 * 24 * HOUR_MS);
    await markDelivered(f.db, [recent!], 'w1', f.clock.now());
    await markFailed(f.db, [pending!], 'w1', 'HTTP 503', f.clock.now());

    expect(await purgeDeliveredOutbox(f.db, { deliveredBefore: at(24 * HOUR_MS) })).toBe(1);
    const left = (await f.rows()).map((r) => r.id).sort();
    expect(left).toEqual([recent, pending, rejected].sort());
  });
});
