import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createOutboxMetrics } from '../../src/outbox/outbox-metrics.js';
import type { ClaimedBatch, DeliveryOutcome } from '../../src/outbox/outbox-types.js';
import { createOutboxWorker, type OutboxWorkerOptions } from '../../src/outbox/outbox-worker.js';
import { describeEachDriver } from '../helpers/test-database.js';
import {
  claimFoundNothing,
  createOutboxFixture,
  notice,
  notices,
  type OutboxFixture,
  T0,
} from './outbox-fixture.js';

const deliverAll = async (b: ClaimedBatch): Promise<DeliveryOutcome> => ({
  delivered: b.items.map((i) => i.id),
  rejected: [],
});

describeEachDriver('outbox worker', (kind) => {
  let f: OutboxFixture;
  let logLines: string[];
  let stop: AbortController;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    logLines = [];
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await f.db.close();
  });

  const worker = (overrides: Partial<OutboxWorkerOptions> = {}) =>
    createOutboxWorker({
      db: f.db,
      clock: f.clock,
      log: createLogger({ level: 'info', destination: { write: (s: string) => logLines.push(s) } }),
      workerId: 'w1',
      deliver: deliverAll,
      signal: stop.signal,
      ...overrides,
    });

  it('delivers in batches of one partner and kind, each at most maxItems', async () => {
    await f.enqueue([...notices('tamtam', 25), ...notices('vk', 7)]);
    const seen: Array<{ partner: string; kind: string; size: number }> = [];
    const w = worker({
      maxItems: 10,
      deliver: async (b) => {
        seen.push({ partner: b.partnerId, kind: b.kind, size: b.items.length });
        return deliverAll(b);
      },
    });
    expect(await w.drain()).toEqual({ batches: 4, delivered: 32, rejected: 0, failed: 0 });
    expect(seen.every((b) => b.size <= 10 && b.kind === 'notice')).toBe(true);
    expect(seen.filter((b) => b.partner === 'tamtam').map((b) => b.size)).toEqual([10, 10, 5]);
    expect((await f.rows()).every((r) => r.state === 'delivered')).toBe(true);
  });

  it('records each item’s outcome: delivered, rejected for good, failed, or unreported', async () => {
    const [ok, unknown, busy, silent] = await f.enqueue(notices('tamtam', 4));
    const w = worker({
      deliver: async () => ({
        delivered: [ok!],
        rejected: [{ id: unknown!, code: 'UNKNOWN_CODE' }],
        failed: [{ id: busy!, error: 'HTTP 429' }],
      }),
    });
    expect(await w.drain()).toEqual({ batches: 1, delivered: 1, rejected: 1, failed: 2 });
    expect(await f.row(ok!)).toMatchObject({ state: 'delivered' });
    expect(await f.row(unknown!)).toMatchObject({
      state: 'rejected',
      rejectionCode: 'UNKNOWN_CODE',
    });
    expect(await f.row(busy!)).toMatchObject({ state: 'pending', lastError: 'HTTP 429' });
    expect(await f.row(silent!)).toMatchObject({
      state: 'pending',
      lastError: 'no outcome reported for this item',
    });

    // The rejected item is never offered again; the failed ones are, after backoff.
    f.clock.advance(48 * HOUR_MS);
    const offered: string[] = [];
    await worker({
      deliver: async (b) => {
        offered.push(...b.items.map((i) => i.id));
        return deliverAll(b);
      },
    }).drain();
    expect(offered.sort()).toEqual([busy, silent].sort());
  });

  it('fails the whole batch when the transport throws, and retries it after the backoff', async () => {
    await f.enqueue(notices('tamtam', 3));
    let calls = 0;
    const w = worker({
      deliver: async (b) => {
        if (++calls === 1) throw new Error('socket hang up');
        return deliverAll(b);
      },
    });
    expect(await w.drain()).toEqual({ batches: 1, delivered: 0, rejected: 0, failed: 3 });
    expect((await f.rows()).map((r) => r.lastError)).toEqual([
      'socket hang up',
      'socket hang up',
      'socket hang up',
    ]);
    expect(await w.drain()).toMatchObject({ batches: 0 });
    f.clock.advance(5_000);
    expect(await w.drain()).toMatchObject({ batches: 1, delivered: 3 });
  });

  it('isolates a dead partner with its circuit while another partner’s items are delivered', async () => {
    await f.enqueue(notices('dead', 6));
    f.clock.advance(1);
    await f.enqueue(notices('alive', 4));
    const calls: string[] = [];
    const w = worker({
      maxItems: 1,
      circuit: { failureThreshold: 2, coolDownMs: 10 * 60_000 },
      deliver: async (b) => {
        calls.push(b.partnerId);
        if (b.partnerId === 'dead') throw new Error('connect ECONNREFUSED');
        return deliverAll(b);
      },
    });
    await w.drain();
    expect(calls.filter((p) => p === 'dead')).toHaveLength(2);
    expect(calls.filter((p) => p === 'alive')).toHaveLength(4);
    const rows = await f.rows();
    expect(rows.filter((r) => r.partnerId === 'alive').every((r) => r.state === 'delivered')).toBe(
      true,
    );
    expect(rows.filter((r) => r.partnerId === 'dead' && r.attempts === 0)).toHaveLength(4);
    expect(logLines.join('')).toContain('pausing its deliveries');

    // Still open before the cool-down ends, half-open after it: one trial goes.
    f.clock.advance(5 * 60_000);
    calls.length = 0;
    await w.drain();
    expect(calls).toEqual([]);
    f.clock.advance(5 * 60_000);
    await w.drain();
    expect(calls).toEqual(['dead']);
  });

  it('keeps other partners flowing while a slow partner holds a slot', async () => {
    await f.enqueue(notices('slow', 50));
    f.clock.advance(1);
    await f.enqueue(notices('quick', 3));
    let releaseSlow: () => void = () => {};
    const slowHeld = new Promise<void>((r) => {
      releaseSlow = r;
    });
    let quickDone: () => void = () => {};
    const quickDelivered = new Promise<void>((r) => {
      quickDone = r;
    });
    const w = worker({
      concurrency: 2,
      maxItems: 10,
      pollIntervalMs: 5,
      deliver: async (b) => {
        if (b.partnerId === 'slow') await slowHeld;
        else quickDone();
        return deliverAll(b);
      },
    });
    const running = w.run();
    // Without fairness the second slot would take another 'slow' batch and
    // block too, and this would never resolve.
    await quickDelivered;
    releaseSlow();
    await expect
      .poll(async () => (await f.rows()).filter((r) => r.state === 'delivered').length, {
        timeout: 30_000,
      })
      .toBe(53);
    stop.abort();
    await running;
  });

  it('alerts once for an item still undelivered as its deadline nears, without logging its payload', async () => {
    const registry = new Registry();
    const metrics = createOutboxMetrics(registry);
    await f.enqueue([
      notice('tamtam', 1, { dueBy: new Date(Date.parse(T0) + 24 * HOUR_MS) }),
      notice('tamtam', 2),
    ]);
    const w = worker({ metrics, deadlineWarnBeforeMs: 2 * HOUR_MS });
    expect(await w.runHousekeeping()).toBe(0);
    f.clock.advance(22 * HOUR_MS);
    expect(await w.runHousekeeping()).toBe(1);
    expect(await w.runHousekeeping()).toBe(0);

    const alerts = logLines.filter((l) => l.includes('deadline nears'));
    expect(alerts).toHaveLength(1);
    expect(JSON.parse(alerts[0]!)).toMatchObject({
      level: 40,
      partnerId: 'tamtam',
      kind: 'notice',
      overdue: false,
    });
    expect(alerts[0]).not.toContain('code-1');
    const text = await registry.metrics();
    expect(text).toContain('idbridge_outbox_deadline_risk_total{partner="tamtam",kind="notice"} 1');
    expect(text).toContain('idbridge_outbox_backlog{partner="tamtam",kind="notice"} 2');

    // Acknowledged 25 h after enqueue: one past its 24 h deadline, one without a deadline.
    f.clock.advance(3 * HOUR_MS);
    expect(await w.drain()).toMatchObject({ delivered: 2 });
    const after = await registry.metrics();
    expect(after).toContain(
      'idbridge_outbox_deadline_misses_total{partner="tamtam",kind="notice"} 1',
    );
    expect(after).toContain(
      'idbridge_outbox_delivery_seconds_bucket{le="86400",partner="tamtam",kind="notice"} 0',
    );
    expect(after).toContain(
      'idbridge_outbox_delivery_seconds_bucket{le="172800",partner="tamtam",kind="notice"} 2',
    );
  });

  it('runs until aborted, draining a backlog, and then claims nothing more', async () => {
    await f.enqueue([...notices('tamtam', 1500), ...notices('vk', 700), ...notices('max', 300)]);
    let delivered = 0;
    let allDone: () => void = () => {};
    const drained = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const w = worker({
      concurrency: 3,
      pollIntervalMs: 5,
      deliver: async (b) => {
        delivered += b.items.length;
        if (delivered === 2500) allDone();
        return deliverAll(b);
      },
    });
    const running = w.run();
    await drained;
    stop.abort();
    await running;
    const rows = await f.rows();
    expect(rows.filter((r) => r.state === 'delivered')).toHaveLength(2500);
    expect(rows.every((r) => r.attempts === 1 && r.claimedBy === null)).toBe(true);

    await f.enqueue([notice('tamtam', 9999)]);
    w.wake();
    expect(await w.drain()).toMatchObject({ batches: 0 });
    expect((await f.rows()).filter((r) => r.state === 'pending')).toHaveLength(1);
  });

  it('on abort lets the delivery in flight finish and records it before stopping', async () => {
    const [id] = await f.enqueue([notice('tamtam', 1)]);
    let release: () => void = () => {};
    let started: () => void = () => {};
    const inFlight = new Promise<void>((r) => {
      started = r;
    });
    const w = worker({
      deliver: async (b) => {
        started();
        await new Promise<void>((r) => {
          release = r;
        });
        return deliverAll(b);
      },
    });
    let stopped = false;
    const running = w.run().then(() => {
      stopped = true;
    });
    await inFlight;
    stop.abort();
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await running;
    expect(await f.row(id!)).toMatchObject({ state: 'delivered', claimedBy: null });
  });

  it('wakes at once on wake() after a commit instead of waiting for the poll', async () => {
    let got: () => void = () => {};
    const gotIt = new Promise<void>((r) => {
      got = r;
    });
    const idle = claimFoundNothing(f.db);
    const w = worker({
      db: idle.db,
      pollIntervalMs: HOUR_MS, // the backstop would never fire within the test
      housekeepingIntervalMs: HOUR_MS,
      deliver: async (b) => {
        got();
        return deliverAll(b);
      },
    });
    const running = w.run();
    await idle.once; // the slot found nothing and went to sleep
    await f.enqueue([notice('tamtam', 1)]);
    w.wake();
    await gotIt;
    stop.abort();
    await running;
    expect((await f.rows())[0]?.state).toBe('delivered');
  });
});
