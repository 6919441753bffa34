import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/core/logger.js';
import type { HeldTransaction, Queryable } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { createOutboxMetrics } from '../../src/outbox/outbox-metrics.js';
import { outboxStatus, retryOutbox } from '../../src/outbox/outbox-ops-store.js';
import {
  claimDueBatch,
  claimDueBatchHeld,
  markDelivered,
  markFailed,
} from '../../src/outbox/outbox-store.js';
import type { ClaimedBatch, DeliveryOutcome } from '../../src/outbox/outbox-types.js';
import { createOutboxWorker, type OutboxWorkerOptions } from '../../src/outbox/outbox-worker.js';
import { describeEachDriver, describePostgresOnly } from '../helpers/test-database.js';
import { createOutboxFixture, notices, type OutboxFixture, T0 } from './outbox-fixture.js';

const LEASE = 60_000;
const at = (ms: number): Date => new Date(Date.parse(T0) + ms);

/** Waits (bounded) until a backend has gone from pg_stat_activity. */
async function backendGone(db: Queryable, pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows.length === 0) return;
    await sleep(50);
  }
  throw new Error(`backend ${pid} still there after 10 s`);
}

async function backendPid(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Number(rows[0]?.pid);
}

// Only PostgreSQL holds a transaction on a connection of its own (PGlite is
// one connection, so a transaction left open would stop every other query):
// this suite runs whenever DATABASE_URL is set, like every postgres variant
// of describeEachDriver. The worker suite below runs on both drivers.
describePostgresOnly('outbox claims held in a transaction', (kind) => {
  let f: OutboxFixture;
  let opened: HeldTransaction[];
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    opened = [];
  });
  afterEach(async () => {
    // A failed assertion may leave a transaction open; closing the
    // database would wait for its connection.
    for (const tx of opened) await tx.rollback();
    await f.db.close();
  });

  const open = async (idleTimeoutMs = LEASE): Promise<HeldTransaction> => {
    if (!f.db.openHeldTransaction) throw new Error('the PostgreSQL driver holds transactions');
    const tx = await f.db.openHeldTransaction({ idleTimeoutMs });
    opened.push(tx);
    return tx;
  };
  const claimHeld = (tx: Queryable, workerId: string, maxItems?: number) =>
    claimDueBatchHeld(tx, {
      workerId,
      leaseMs: LEASE,
      now: f.clock.now(),
      ...(maxItems ? { maxItems } : {}),
    });

  it('writes nothing when claiming; the outcome counts the attempt, stamped with the claim time', async () => {
    const ids = await f.enqueue(notices('tamtam', 3));
    const tx = await open();
    const batch = await claimHeld(tx, 'w1');
    expect(batch?.items.map((i) => i.id)).toEqual(ids);
    expect(batch?.items.map((i) => i.attempts)).toEqual([1, 1, 1]);
    expect(batch?.hold).toEqual({ workerId: 'w1', heldSince: at(0) });
    expect(batch?.claimedUntil).toEqual(at(LEASE));
    // Seen from another connection: untouched, and locked (a claim skips them).
    for (const row of await f.rows()) {
      expect(row).toMatchObject({ state: 'pending', attempts: 0, claimedBy: null });
    }
    expect(
      await claimDueBatch(f.db, { workerId: 'w2', leaseMs: LEASE, now: f.clock.now() }),
    ).toBeNull();

    f.clock.advance(1_000);
    const hold = batch?.hold ?? 'missing';
    expect(await markDelivered(tx, ids.slice(0, 2), hold, f.clock.now())).toBe(2);
    const schedule = { backoffMs: [5_000, 60_000] };
    expect(await markFailed(tx, [ids[2]!], hold, 'HTTP 503', f.clock.now(), schedule)).toBe(1);
    await tx.commit();

    expect(await f.row(ids[0]!)).toMatchObject({
      state: 'delivered',
      attempts: 1,
      lastAttemptAt: at(0),
      deliveredAt: at(1_000),
      claimedBy: null,
    });
    expect(await f.row(ids[2]!)).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'HTTP 503',
      nextAttemptAt: at(1_000 + 5_000), // the first step: this was attempt 1
    });

    // The second attempt moves to the second step of the schedule.
    f.clock.advance(5_000);
    const again = await open();
    const retry = await claimHeld(again, 'w1');
    expect(retry?.items.map((i) => [i.id, i.attempts])).toEqual([[ids[2], 2]]);
    await markFailed(
      again,
      [ids[2]!],
      retry?.hold ?? 'missing',
      'HTTP 503',
      f.clock.now(),
      schedule,
    );
    await again.commit();
    expect(await f.row(ids[2]!)).toMatchObject({
      attempts: 2,
      lastAttemptAt: at(6_000),
      nextAttemptAt: at(6_000 + 60_000),
    });
  });

  it('locks only the rows it hands out, not the head rows of groups it looked at', async () => {
    const [first] = await f.enqueue(notices('tamtam', 2));
    f.clock.advance(1_000);
    const [vkFirst, vkSecond] = await f.enqueue(notices('vk', 2));
    const tx = await open();
    const batch = await claimHeld(tx, 'w1');
    expect(batch?.partnerId).toBe('tamtam'); // the group with the oldest due row
    expect(batch?.items[0]?.id).toBe(first);
    // vk's oldest row was probed while choosing: another claim still gets it.
    const other = await claimDueBatch(f.db, {
      workerId: 'w2',
      leaseMs: LEASE,
      now: f.clock.now(),
    });
    expect(other?.items.map((i) => i.id)).toEqual([vkFirst, vkSecond]);
    await tx.rollback();
  });

  it('never hands a row to two holders, across many transactions open at once', async () => {
    const partners = ['tamtam', 'vk', 'max', 'icq', 'dialog'];
    for (const p of partners) await f.enqueue(notices(p, 300));
    const total = partners.length * 300;
    const claimedBy = new Map<string, string[]>();
    const claimer = async (workerId: string): Promise<void> => {
      for (;;) {
        const tx = await open();
        const batch = await claimHeld(tx, workerId, 53);
        if (!batch) {
          await tx.rollback();
          return;
        }
        for (const item of batch.items) {
          claimedBy.set(item.id, [...(claimedBy.get(item.id) ?? []), workerId]);
        }
        // Keep the rows held while the other claimers run.
        await sleep(2);
        const ids = batch.items.map((i) => i.id);
        expect(await markDelivered(tx, ids, batch.hold, f.clock.now())).toBe(ids.length);
        await tx.commit();
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => claimer(`c${i}`)));
    // A claimer may stop on a momentarily locked head row; sweep the rest.
    await claimer('sweeper');

    expect(claimedBy.size).toBe(total);
    expect([...claimedBy].filter(([, workers]) => workers.length > 1)).toEqual([]);
    const rows = await f.rows();
    expect(rows).toHaveLength(total);
    expect(rows.filter((r) => r.state !== 'delivered' || r.attempts !== 1)).toEqual([]);
  });

  it('gives the rows back at once when the holding worker dies (its connection closes)', async () => {
    const ids = await f.enqueue(notices('tamtam', 4));
    const tx = await open();
    expect((await claimHeld(tx, 'dead'))?.items).toHaveLength(4);
    const pid = await backendPid(tx);
    await f.db.query('SELECT pg_terminate_backend($1)', [pid]);
    await backendGone(f.db, pid);

    // No lease to wait out, and the dead attempt is not counted.
    const taken = await claimDueBatch(f.db, {
      workerId: 'w2',
      leaseMs: LEASE,
      now: f.clock.now(),
    });
    expect(taken?.items.map((i) => [i.id, i.attempts])).toEqual(ids.map((id) => [id, 1]));
    await expect(tx.commit()).rejects.toThrow();
    await tx.rollback(); // already ended: does nothing, throws nothing
  });

  it('ends the transaction of a worker that hangs, by the server’s idle timeout', async () => {
    const ids = await f.enqueue(notices('tamtam', 2));
    const tx = await open(200);
    expect((await claimHeld(tx, 'hung'))?.items).toHaveLength(2);
    await backendGone(f.db, await backendPid(tx));

    const taken = await claimDueBatch(f.db, {
      workerId: 'w2',
      leaseMs: LEASE,
      now: f.clock.now(),
    });
    expect(taken?.items.map((i) => i.id)).toEqual(ids);
    await expect(tx.commit()).rejects.toThrow();
  });

  it('reports a transaction a failed statement aborted, and leaves its rows untouched', async () => {
    const ids = await f.enqueue(notices('tamtam', 2));
    const tx = await open();
    const batch = await claimHeld(tx, 'w1');
    await markDelivered(tx, ids, batch?.hold ?? 'missing', f.clock.now());
    await expect(tx.query('SELECT 1 / 0')).rejects.toThrow(/division by zero/);
    await expect(tx.commit()).rejects.toThrow(/rolled back/);
    for (const row of await f.rows()) {
      expect(row).toMatchObject({ state: 'pending', attempts: 0, deliveredAt: null });
    }
  });

  it('takes over rows whose lease expired, and its outcome clears the stale lease', async () => {
    const ids = await f.enqueue(notices('tamtam', 2));
    await claimDueBatch(f.db, { workerId: 'dead', leaseMs: LEASE, now: f.clock.now() });
    f.clock.advance(LEASE);
    const tx = await open();
    const batch = await claimHeld(tx, 'w2');
    expect(batch?.items.map((i) => [i.id, i.attempts])).toEqual(ids.map((id) => [id, 2]));
    expect(await markDelivered(tx, ids, batch?.hold ?? 'missing', f.clock.now())).toBe(2);
    await tx.commit();
    for (const row of await f.rows()) {
      expect(row).toMatchObject({
        state: 'delivered',
        attempts: 2,
        claimedBy: null,
        claimedUntil: null,
      });
    }
  });

  it('shows a held batch in `outbox status` as in flight, not due', async () => {
    await f.enqueue(notices('tamtam', 5));
    const tx = await open();
    const batch = await claimHeld(tx, 'w1', 3);
    const status = async () => (await outboxStatus(f.db, f.clock.now()))[0];
    expect(await status()).toMatchObject({ pending: 5, due: 2, inFlight: 3 });
    const ids = batch?.items.map((i) => i.id) ?? [];
    await markDelivered(tx, ids, batch?.hold ?? 'missing', f.clock.now());
    await tx.commit();
    expect(await status()).toMatchObject({ pending: 2, due: 2, inFlight: 0 });

    const dropped = await open();
    await claimHeld(dropped, 'w1');
    expect(await status()).toMatchObject({ pending: 2, due: 0, inFlight: 2 });
    await dropped.rollback();
    expect(await status()).toMatchObject({ pending: 2, due: 2, inFlight: 0 });
  });

  it('counts the attempt of a batch whose outcome was lost with its transaction, and waits its backoff', async () => {
    const ids = await f.enqueue(notices('tamtam', 3));
    const sent: number[] = [];
    const worker = (workerId: string, deliver: OutboxWorkerOptions['deliver']) =>
      createOutboxWorker({
        db: f.db,
        clock: f.clock,
        log: createSilentLogger(),
        workerId,
        signal: new AbortController().signal,
        backoffMs: [30_000],
        deliver,
      });
    const w = worker('w1', async (b) => {
      sent.push(b.items.length);
      // The holding session dies while the request is out (a database
      // restart, the idle timeout): the outcome cannot be recorded.
      const { rows } = await f.db.query<{ pid: number }>(
        `SELECT a.pid FROM pg_stat_activity a JOIN outbox o ON o.xmax = a.backend_xid
            WHERE o.id = $1`,
        [b.items[0]?.id],
      );
      const pid = Number(rows[0]?.pid);
      await f.db.query('SELECT pg_terminate_backend($1)', [pid]);
      await backendGone(f.db, pid);
      return { delivered: b.items.map((i) => i.id), rejected: [] };
    });
    await expect(w.drain()).rejects.toThrow();
    expect(sent).toEqual([3]);
    for (const row of await f.rows()) {
      expect(row).toMatchObject({
        state: 'pending',
        attempts: 1,
        lastAttemptAt: at(0),
        nextAttemptAt: at(30_000),
        lastError: expect.stringMatching(/^outcome not recorded: /),
      });
    }
    expect((await f.rows()).map((r) => r.id).sort()).toEqual([...ids].sort());
    // Not sent again before its backoff step; sent once it has passed.
    expect(await w.drain()).toMatchObject({ batches: 0 });
    f.clock.advance(30_000);
    const ok = worker('w2', async (b) => ({ delivered: b.items.map((i) => i.id), rejected: [] }));
    expect(await ok.drain()).toMatchObject({ batches: 1, delivered: 3 });
    expect(sent).toEqual([3]);
    expect((await f.rows()).every((r) => r.state === 'delivered' && r.attempts === 2)).toBe(true);
  });

  it('counts a batch in the report and the metrics only once its outcome is committed', async () => {
    await f.enqueue(notices('tamtam', 3));
    // A commit refused after every outcome statement succeeded: a deferred
    // trigger fails it while `refuse_commits` holds a row.
    await f.db.query(`CREATE TABLE refuse_commits (why text)`);
    await f.db.query(`INSERT INTO refuse_commits VALUES ('test')`);
    await f.db.query(`CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM refuse_commits) THEN RAISE EXCEPTION 'commit refused by the test'; END IF;
        RETURN NULL;
      END $$`);
    await f.db.query(`CREATE CONSTRAINT TRIGGER refuse_delivered_commit AFTER UPDATE ON outbox
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.state = 'delivered')
      EXECUTE FUNCTION refuse_commit()`);
    const registry = new Registry();
    const metrics = createOutboxMetrics(registry);
    const delivered = async (): Promise<number> => {
      const metric = await registry.getSingleMetric('idbridge_outbox_deliveries_total')?.get();
      return (metric?.values ?? [])
        .filter((v) => v.labels.outcome === 'delivered')
        .reduce((sum, v) => sum + v.value, 0);
    };
    const w = createOutboxWorker({
      db: f.db,
      clock: f.clock,
      log: createSilentLogger(),
      workerId: 'w1',
      signal: new AbortController().signal,
      backoffMs: [30_000],
      metrics,
      deliver: async (b) => ({ delivered: b.items.map((i) => i.id), rejected: [] }),
    });
    await expect(w.drain()).rejects.toThrow(/commit refused by the test/);
    expect(await delivered()).toBe(0);
    expect((await f.rows()).every((r) => r.state === 'pending' && r.attempts === 1)).toBe(true);

    await f.db.query('DELETE FROM refuse_commits');
    f.clock.advance(30_000);
    expect(await w.drain()).toEqual({ batches: 1, delivered: 3, rejected: 0, failed: 0 });
    expect(await delivered()).toBe(3);
  });

  it('`outbox retry` skips rows a worker holds instead of waiting for them', async () => {
    const ids = await f.enqueue(notices('tamtam', 2));
    const first = await open();
    const failing = await claimHeld(first, 'w1');
    await markFailed(first, ids, failing?.hold ?? 'missing', 'HTTP 503', f.clock.now(), {
      backoffMs: [1_000],
    });
    await first.commit();
    f.clock.advance(1_000);
    const tx = await open();
    expect((await claimHeld(tx, 'w1'))?.items).toHaveLength(2);
    const retry = () => retryOutbox(f.db, { partnerId: 'tamtam', now: f.clock.now() });
    expect(await retry()).toBe(0);
    await tx.rollback();
    expect(await retry()).toBe(2);
  });

  it('refuses statements once the held transaction has ended', async () => {
    const tx = await open();
    await tx.commit();
    await expect(tx.query('SELECT 1')).rejects.toThrow(/already ended/);
    await expect(tx.exec('SELECT 1')).rejects.toThrow(/already ended/);
    await expect(tx.commit()).rejects.toThrow(/already ended/);
  });

  it('opens no held transaction once the database is closed', async () => {
    const url = process.env.DATABASE_URL ?? '';
    const db = createPostgresDatabase({ url, schema: f.db.schema });
    const tx = await db.openHeldTransaction?.({ idleTimeoutMs: LEASE });
    await tx?.rollback();
    await db.close();
    await expect(db.openHeldTransaction?.({ idleTimeoutMs: LEASE })).rejects.toThrow(/closed/);
  });

  it('refuses an idle timeout that is not a positive number', async () => {
    await expect(open(0)).rejects.toThrow(/positive/);
    await expect(open(Number.NaN)).rejects.toThrow(/positive/);
  });
});

describeEachDriver('outbox worker holding its claims', (kind) => {
  let f: OutboxFixture;
  let stop: AbortController;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await f.db.close();
  });

  /**
   * Drains with a transport that, mid-delivery, looks at the rows from
   * another connection and tries to claim them for another worker.
   */
  const drainWatching = async (overrides: Partial<OutboxWorkerOptions> = {}) => {
    const ids = await f.enqueue(notices('tamtam', 5));
    const seen: Array<{ claimedBy: string | null; attempts: number; stolen: boolean }> = [];
    const w = createOutboxWorker({
      db: f.db,
      clock: f.clock,
      log: createSilentLogger(),
      workerId: 'w1',
      signal: stop.signal,
      deliver: async (b: ClaimedBatch): Promise<DeliveryOutcome> => {
        const other = await claimDueBatch(f.db, {
          workerId: 'other',
          leaseMs: LEASE,
          now: f.clock.now(),
        });
        for (const row of await f.rows()) {
          seen.push({ claimedBy: row.claimedBy, attempts: row.attempts, stolen: other !== null });
        }
        return { delivered: b.items.map((i) => i.id), rejected: [] };
      },
      ...overrides,
    });
    expect(await w.drain()).toEqual({ batches: 1, delivered: 5, rejected: 0, failed: 0 });
    const rows = await f.rows();
    expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(rows.filter((r) => r.state !== 'delivered' || r.attempts !== 1)).toEqual([]);
    return seen;
  };

  it('keeps a batch out of every other claim while it is delivered, by default', async () => {
    const seen = await drainWatching();
    expect(seen).toHaveLength(5);
    expect(seen.every((s) => !s.stolen)).toBe(true);
    // PostgreSQL: row locks of an open transaction, nothing written yet;
    // PGlite (no second connection to hold one on): a lease in the rows.
    const expected =
      kind === 'postgres' ? { claimedBy: null, attempts: 0 } : { claimedBy: 'w1', attempts: 1 };
    for (const s of seen) expect(s).toMatchObject(expected);
  });

  it('writes a lease into the rows when configured to (claimHold: lease)', async () => {
    const seen = await drainWatching({ claimHold: 'lease' });
    expect(seen.every((s) => !s.stolen && s.claimedBy === 'w1' && s.attempts === 1)).toBe(true);
  });
});
