import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../db/port.js';
import {
  createOutboxMetrics,
  createOutboxWorker,
  type DeliverBatch,
  listenForOutbox,
  type OutboxConfig,
  type OutboxWorker,
} from '../outbox/index.js';

/**
 * Background work every node runs: the outbox worker (woken after commit, by
 * LISTEN/NOTIFY on PostgreSQL, and by polling as a backstop) plus any
 * periodic loops. `stop()` aborts them and waits for in-flight work.
 */
export interface NodeRuntime {
  outbox: OutboxWorker;
  /** Adds a loop run every `intervalMs` until stop; errors are logged, not fatal. */
  every(name: string, intervalMs: number, fn: () => Promise<unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createNodeRuntime(deps: {
  db: Database;
  databaseUrl: string | undefined;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  registry: Registry;
  outboxConfig: OutboxConfig;
  deliver: DeliverBatch;
}): NodeRuntime {
  const controller = new AbortController();
  const { signal } = controller;
  const outbox = createOutboxWorker({
    db: deps.db,
    clock: deps.clock,
    log: deps.log,
    workerId: `${hostname()}:${process.pid}:${deps.ids()}`,
    deliver: deps.deliver,
    signal,
    pollIntervalMs: deps.outboxConfig.pollIntervalMs,
    concurrency: deps.outboxConfig.concurrency,
    claimHold: deps.outboxConfig.claimHold,
    leaseMs: deps.outboxConfig.leaseMs,
    maxItems: deps.outboxConfig.maxBatchItems,
    backoffMs: deps.outboxConfig.backoffMs,
    circuit: {
      failureThreshold: deps.outboxConfig.circuitFailureThreshold,
      coolDownMs: deps.outboxConfig.circuitCoolDownMs,
    },
    deadlineWarnBeforeMs: deps.outboxConfig.deadlineWarnBeforeMs,
    housekeepingIntervalMs: deps.outboxConfig.housekeepingIntervalMs,
    metrics: createOutboxMetrics(deps.registry),
  });
  const loops: Array<{ name: string; intervalMs: number; fn: () => Promise<unknown> }> = [];
  const running: Promise<unknown>[] = [];

  const runLoop = async (loop: (typeof loops)[number]): Promise<void> => {
    while (!signal.aborted) {
      try {
        await loop.fn();
      } catch (err) {
        deps.log.error({ err, loop: loop.name }, 'background loop failed; retrying');
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        // Remove the abort listener when the timer fires, or every pass
        // would leave one behind on the long-lived signal.
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', stop);
          resolve();
        }, loop.intervalMs);
        signal.addEventListener('abort', stop, { once: true });
      });
    }
  };

  return {
    outbox,
    every(name, intervalMs, fn) {
      loops.push({ name, intervalMs, fn });
    },
    async start() {
      if (deps.db.kind === 'postgres' && deps.databaseUrl) {
        const listening = await listenForOutbox({
          url: deps.databaseUrl,
          schema: deps.db.schema,
          onWake: () => outbox.wake(),
          signal,
          log: deps.log,
        });
        running.push(listening.closed);
      }
      running.push(outbox.run());
      for (const loop of loops) running.push(runLoop(loop));
    },
    async stop() {
      controller.abort();
      await Promise.allSettled(running);
    },
  };
}
