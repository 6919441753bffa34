import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Database, HeldTransaction, Queryable } from '../db/port.js';
import { type CircuitBreakerOptions, createCircuitBreaker } from './circuit-breaker.js';
import { type DeliveryReport, deliverClaimedBatch } from './deliver-claimed-batch.js';
import { type OutboxMetrics, recordOutboxBacklog } from './outbox-metrics.js';
import { findDeadlineRisks, outboxStatus } from './outbox-ops-store.js';
import {
  claimDueBatch,
  claimDueBatchHeld,
  markHeldAttemptLost,
  releaseClaims,
} from './outbox-store.js';
import type { ClaimedBatch, DeliverBatch } from './outbox-types.js';

/**
 * How long past the lease a held claim's transaction may sit idle before
 * PostgreSQL ends it: the delivery is aborted at the lease, and recording
 * its outcome must still find the transaction open.
 */
const HELD_IDLE_MARGIN_MS = 5_000;

export interface OutboxWorkerOptions {
  /** With `openHeldTransaction` (PostgreSQL), claims are held in a transaction (`claimHold`). */
  db: Queryable & Pick<Partial<Database>, 'openHeldTransaction'>;
  /**
   * `transaction` (default where the database can hold one, i.e. PostgreSQL):
   * a batch's rows stay locked by an open transaction from claim to outcome
   * (claimDueBatchHeld), which halves the outbox's writes per item. `lease`:
   * the claim writes a lease into the rows (claimDueBatch), as on PGlite.
   */
  claimHold?: 'transaction' | 'lease';
  clock: Clock;
  log: Logger;
  /** Unique per worker instance (e.g. `${hostname}:${pid}:${newId()}`): leases are held by it. */
  workerId: string;
  deliver: DeliverBatch;
  /** Stops the worker: no new claims; deliveries in flight finish and complete. */
  signal: AbortSignal;
  /** Backstop poll when no wake-up arrives (default 1 s). */
  pollIntervalMs?: number;
  /** Batches delivered at once by this worker (default 1). */
  concurrency?: number;
  /**
   * Lease per claim (default 60 s): the delivery is aborted after it, and a
   * dead worker's leased items are claimable after it (held ones at once,
   * and a hung worker's when its transaction idles past it).
   */
  leaseMs?: number;
  /** Items per batch (default 1,000: the notice request limit, §3). */
  maxItems?: number;
  kinds?: readonly string[];
  backoffMs?: readonly number[];
  circuit?: Omit<CircuitBreakerOptions, 'clock' | 'onChange'>;
  /** Alert on undelivered items this long before their deadline (default 2 h). */
  deadlineWarnBeforeMs?: number;
  /** Deadline scan and backlog gauges, every (default 30 s). */
  housekeepingIntervalMs?: number;
  metrics?: OutboxMetrics;
}

export interface OutboxWorker {
  /** Runs until the signal aborts; resolves once in-flight batches have completed. */
  run(): Promise<void>;
  /** After-commit signal: something was enqueued, look now. */
  wake(): void;
  /** Claims and delivers until nothing is due (for tests and one-shot commands). */
  drain(): Promise<DeliveryReport>;
  /** Deadline-risk alerts and backlog gauges, once. Returns how many alerts were raised. */
  runHousekeeping(): Promise<number>;
}

/**
 * The delivery loop of one process. Any number of workers, in any number of
 * processes, may run against one database: claims never overlap (see
 * `claimDueBatch`). Each of the `concurrency` slots claims one batch (one
 * partner, one kind), delivers it, records the outcome, and looks again at
 * once; when nothing is due it sleeps until `wake()`, a NOTIFY relayed to
 * `wake()` (see `listenForOutbox`), or the poll interval.
 */
export function createOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { db, clock, log, signal } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const housekeepingIntervalMs = options.housekeepingIntervalMs ?? 30_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const metrics = options.metrics;
  const breaker = createCircuitBreaker({
    ...options.circuit,
    clock,
    onChange: (partnerId, state) => {
      metrics?.circuitOpen.set({ partner: partnerId }, state === 'open' ? 1 : 0);
      if (state === 'open')
        log.warn({ partnerId }, 'outbox: partner failing, pausing its deliveries');
      else log.info({ partnerId }, 'outbox: partner delivering again');
    },
  });

  /** Batches being delivered by this worker's slots, per partner. */
  const partnersInFlight = new Map<string, number>();
  let claimTurn: Promise<void> = Promise.resolve();
  let wakeGeneration = 0;
  let sleepers: Array<() => void> = [];
  const wake = (): void => {
    wakeGeneration++;
    const waiting = sleepers;
    sleepers = [];
    for (const resolve of waiting) resolve();
  };
  signal.addEventListener('abort', wake, { once: true });

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        sleepers = sleepers.filter((s) => s !== done);
        resolve();
      }
      sleepers.push(done);
    });

  const openHeld =
    options.claimHold !== 'lease' && db.openHeldTransaction
      ? db.openHeldTransaction.bind(db)
      : undefined;

  /** One claim: a batch and, for a transaction hold, the transaction holding it. */
  const claimNext = async (): Promise<{ batch: ClaimedBatch; tx?: HeldTransaction } | null> => {
    const claimOptions = {
      workerId: options.workerId,
      kinds: options.kinds,
      skipPartners: breaker.blockedPartners(),
      avoidPartners: [...partnersInFlight.keys()],
      maxItems: options.maxItems ?? 1000,
      leaseMs,
      now: clock.now(),
    };
    let found: { batch: ClaimedBatch; tx?: HeldTransaction } | null = null;
    if (openHeld) {
      const tx = await openHeld({ idleTimeoutMs: leaseMs + HELD_IDLE_MARGIN_MS });
      try {
        const batch = await claimDueBatchHeld(tx, claimOptions);
        if (batch) found = { batch, tx };
      } finally {
        if (!found) await tx.rollback();
      }
    } else {
      const batch = await claimDueBatch(db, claimOptions);
      if (batch) found = { batch };
    }
    if (found) {
      const n = partnersInFlight.get(found.batch.partnerId) ?? 0;
      partnersInFlight.set(found.batch.partnerId, n + 1);
    }
    return found;
  };

  /** Claims one batch and delivers it; false when nothing was due. */
  const processOneBatch = async (report: DeliveryReport): Promise<boolean> => {
    if (signal.aborted) return false;
    // Fairness: prefer a partner no other slot is sending to, so a slow
    // partner's backlog does not hold every slot; take a busy partner when
    // no other is due, so a single big backlog still uses all slots. The
    // slots of one worker claim one at a time (a claim is a few short
    // statements at most), so each sees the partners the others just took.
    const claimed = claimTurn.then(claimNext);
    claimTurn = claimed.then(
      () => undefined,
      () => undefined,
    );
    const found = await claimed;
    if (!found) return false;
    const { batch, tx } = found;
    const partnerId = batch.partnerId;
    let acquired = false;
    let attempted = false;
    try {
      acquired = !signal.aborted && breaker.tryAcquire(partnerId);
      if (!acquired) {
        if (tx) await tx.rollback();
        else await releaseClaims(db, batch.items, options.workerId);
        return !signal.aborted;
      }
      attempted = true;
      const countOutcome = await deliverClaimedBatch({
        db: tx ?? db,
        clock,
        log,
        deliver: options.deliver,
        batch,
        leaseMs,
        backoffMs: options.backoffMs,
        breaker,
        metrics,
        report,
      });
      await tx?.commit();
      countOutcome();
      return true;
    } catch (err) {
      if (tx && attempted && typeof batch.hold !== 'string') {
        // The transaction is lost with the outcome it held: count the
        // attempt outside it, so the batch waits its backoff step instead
        // of being sent again on the next pass.
        await tx.rollback();
        const message = err instanceof Error ? err.message : String(err);
        await markHeldAttemptLost(
          db,
          batch.items.map((i) => i.id),
          batch.hold,
          `outcome not recorded: ${message}`,
          clock.now(),
          options.backoffMs ? { backoffMs: options.backoffMs } : {},
        ).catch((lost: unknown) =>
          log.error({ err: lost, partnerId }, 'outbox: could not count a lost attempt'),
        );
      }
      throw err;
    } finally {
      // A safety net: every path above has ended a held transaction already
      // (committed, or rolled back on refusal or error); this then does nothing.
      await tx?.rollback();
      // A half-open trial that ended in a database error must not block the partner.
      if (acquired) breaker.release(partnerId);
      const left = (partnersInFlight.get(partnerId) ?? 1) - 1;
      if (left > 0) partnersInFlight.set(partnerId, left);
      else partnersInFlight.delete(partnerId);
    }
  };

  const emptyReport = (): DeliveryReport => ({ batches: 0, delivered: 0, rejected: 0, failed: 0 });

  const runSlot = async (): Promise<void> => {
    const report = emptyReport();
    while (!signal.aborted) {
      const generation = wakeGeneration;
      try {
        if (await processOneBatch(report)) continue;
      } catch (err) {
        // Database trouble: the lease (or the rolled-back hold) keeps the
        // items pending; try again later.
        log.error({ err }, 'outbox: delivery loop error');
        await sleep(pollIntervalMs);
        continue;
      }
      if (generation === wakeGeneration) await sleep(pollIntervalMs);
    }
  };

  const runHousekeeping = async (): Promise<number> => {
    const now = clock.now();
    const risks = await findDeadlineRisks(db, {
      now,
      warnBeforeMs: options.deadlineWarnBeforeMs ?? 2 * 60 * 60_000,
    });
    for (const risk of risks) {
      // R12: a late notice is a compliance fact. Ids and timing only: the
      // payload is never logged (R11).
      log.warn(
        {
          outboxId: risk.id,
          kind: risk.kind,
          partnerId: risk.partnerId,
          dueBy: risk.dueBy.toISOString(),
          overdue: risk.dueBy.getTime() <= now.getTime(),
          attempts: risk.attempts,
          lastError: risk.lastError,
        },
        'outbox: item still undelivered as its deadline nears (compliance risk)',
      );
      metrics?.deadlineRisk.inc({ partner: risk.partnerId, kind: risk.kind });
    }
    if (metrics) recordOutboxBacklog(metrics, await outboxStatus(db, now));
    return risks.length;
  };

  const runHousekeepingLoop = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        await runHousekeeping();
      } catch (err) {
        log.error({ err }, 'outbox: housekeeping error');
      }
      if (signal.aborted) break;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, housekeepingIntervalMs);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  };

  let running: Promise<void> | undefined;
  return {
    run() {
      running ??= (async () => {
        const slots = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, runSlot);
        await Promise.all([...slots, runHousekeepingLoop()]);
      })();
      return running;
    },
    wake,
    async drain() {
      const report = emptyReport();
      while (await processOneBatch(report)) {}
      return report;
    },
    runHousekeeping,
  };
}
