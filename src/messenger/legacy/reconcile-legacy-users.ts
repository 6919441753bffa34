import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Database } from '../../db/port.js';
import type { DirectoryIndex } from '../../node/directory.js';
import type { PartnerClient } from '../../protocol/http/partner-client.js';
import { MAX_BATCH_ITEMS } from '../../protocol/schemas/index.js';
import type { RoutingService } from '../../routing/index.js';
import type { CodeGenerator } from '../identification/identification-code.js';
import {
  batchTotalsByOperator,
  listUnappliedBatches,
  type UnappliedBatch,
} from './legacy-batch-store.js';
import { hasRerouteWaiting, takePlanner } from './legacy-plan-store.js';
import { type LegacySummary, readLegacySummary } from './legacy-summary.js';
import type { LegacyUsersChanged } from './legacy-user-transitions.js';
import { planLegacyBatches } from './plan-legacy-batches.js';
import { sendLegacyBatch } from './send-legacy-batch.js';

export interface ReconcileDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  newCode: CodeGenerator;
  log: Logger;
  client: PartnerClient;
  directory: DirectoryIndex;
  routing: RoutingService;
}

export interface OperatorProgress {
  operatorId: string;
  batches: number;
  batchesDone: number;
  users: number;
  usersDone: number;
}

export interface ReconcileOptions {
  /** Suspended users are deauthorized after this unless re-identified (R8). */
  graceMs: number;
  batchSize?: number;
  /** Batch requests in flight at once, all operators together (default 8). */
  maxInFlight?: number;
  /** Batch requests in flight at once to one operator (default 2). */
  perOperator?: number;
  /** Users routed and planned per transaction (default 50,000). */
  planChunk?: number;
  /** Stops starting batches; those in flight are finished and applied. */
  signal?: AbortSignal;
  onProgress?: (progress: OperatorProgress[]) => void;
  /**
   * Send full batches while planning still runs (default: on PostgreSQL, not
   * on PGlite, whose one connection runs planning and sending in turn anyway:
   * interleaving there only stretches every request).
   */
  overlapPlanning?: boolean;
  /** Test seam: after each committed planning transaction, awaited. */
  afterPlanChunk?: () => Promise<void>;
  /** Test seam: after an operator answered a batch, before it is applied. */
  afterSend?: (batchId: string, operatorId: string) => void | Promise<void>;
  /** In the transaction of every set of users moved (webhooks, set-based). */
  onUsersChanged?: LegacyUsersChanged;
}

const MAX_ROUNDS = 4;

/**
 * `reconcile` (R9, I1): plans every waiting legacy user into batches per
 * operator and, while planning goes on, sends the batches planning can no
 * longer change (full ones) with bounded concurrency (at most `maxInFlight`
 * requests in all and `perOperator` per operator); the last, partly filled
 * batches go when planning is done. Each answer is applied in its own
 * transaction. Users answered NOT_SERVED are re-routed once after a routing
 * refresh (I5) in a following round. Returns the summary.
 *
 * Resumable: everything lives in the database. After a crash or an abort the
 * next call first finishes the batches left unapplied (re-sending one that
 * was sent under its stored batchId with the same body, which the operator
 * answers from its idempotency record), then plans what is still waiting;
 * applied batches are never sent again.
 *
 * Concurrency: run one reconcile per messenger at a time. A second one
 * started meanwhile takes over planning; the first stops with CONFLICT.
 */
export async function reconcileLegacyUsers(
  deps: ReconcileDeps,
  options: ReconcileOptions,
): Promise<LegacySummary> {
  const { db, log } = deps;
  const batchSize = options.batchSize ?? MAX_BATCH_ITEMS;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ITEMS) {
    throw new IdbridgeError('INVALID_ARGUMENT', `batchSize must be 1 to ${MAX_BATCH_ITEMS}`);
  }
  // Planning writes only batch rows: a planned user stays `waiting` until its
  // batch is applied, and each round's planner starts from the first waiting
  // user. So this run first takes the planner (a run still planning stops at
  // its next chunk), then finishes the batches a crash, Ctrl-C or that run
  // left unapplied; planning them again would put their users into a
  // second batch.
  const runId = deps.ids();
  await takePlanner(db, runId, deps.clock.now());
  if ((await listUnappliedBatches(db)).length > 0) {
    log.info('finishing the batches an earlier run left unapplied');
    await sendWhilePlanning(
      deps,
      options,
      { planning: Promise.resolve(), wake: createWakeUp(), batchSize },
      () => {},
    );
  }
  let reloaded = false;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    throwIfAborted(options.signal);
    // I5: numbers an operator said it does not serve are routed again on fresh data, once.
    if (!reloaded && (await hasRerouteWaiting(db))) {
      reloaded = true;
      await deps.routing
        .reload()
        .catch((err) =>
          log.error({ err }, 'routing reload failed; re-routing on the current table'),
        );
    }
    // Stops the planner when sending fails or the caller aborts.
    const stopPlanning = new AbortController();
    const onAbort = () => stopPlanning.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const wake = createWakeUp();
    const planning = planLegacyBatches(
      { ...deps, onUsersChanged: options.onUsersChanged },
      {
        runId,
        batchSize,
        chunk: options.planChunk ?? 50_000,
        graceMs: options.graceMs,
        // Users sent back by NOT_SERVED during this round wait for the next one (I5).
        includeRerouted: reloaded,
        signal: stopPlanning.signal,
        onChunkPlanned: async () => {
          wake.signal();
          await options.afterPlanChunk?.();
        },
      },
    ).then((planned) => {
      log.info({ round, ...planned }, 'legacy users planned');
      return planned;
    });
    if (!(options.overlapPlanning ?? db.kind !== 'pglite')) {
      // Errors reach the sender below, which reports them.
      await planning.catch(() => {});
    }
    let sent: number;
    try {
      sent = await sendWhilePlanning(deps, options, { planning, wake, batchSize }, () =>
        stopPlanning.abort(),
      );
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (sent === 0) break;
  }
  const summary = await readLegacySummary(db);
  log.info({ summary }, 'legacy reconciliation finished');
  return summary;
}

/**
 * Sends batches as planning makes them available: full ones while it runs,
 * then everything unapplied. Returns how many batches it took; throws the
 * first failure (sending or planning) after the requests in flight ended.
 */
async function sendWhilePlanning(
  deps: ReconcileDeps,
  options: ReconcileOptions,
  { planning, wake, batchSize }: { planning: Promise<unknown>; wake: WakeUp; batchSize: number },
  stopPlanning: () => void,
): Promise<number> {
  let planningDone = false;
  let failure: unknown;
  const planned = planning.then(
    () => {
      planningDone = true;
    },
    (err) => {
      planningDone = true;
      failure ??= err;
    },
  );
  const maxInFlight = options.maxInFlight ?? 8;
  const perOperator = options.perOperator ?? 2;
  const taken = new Set<string>();
  const queues = new Map<string, UnappliedBatch[]>();
  const busy = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let progress: OperatorProgress[] = [];
  const report = () => options.onProgress?.(progress.map((p) => ({ ...p })));
  const stopped = () => failure !== undefined || options.signal?.aborted === true;

  const start = (batch: UnappliedBatch) => {
    busy.set(batch.operatorId, (busy.get(batch.operatorId) ?? 0) + 1);
    const job = sendLegacyBatch(
      {
        db: deps.db,
        clock: deps.clock,
        ids: deps.ids,
        client: deps.client,
        directory: deps.directory,
        graceMs: options.graceMs,
        afterSend: options.afterSend,
        onUsersChanged: options.onUsersChanged,
      },
      batch,
    )
      .then((applied) => {
        const p = progress.find((x) => x.operatorId === batch.operatorId);
        if (p && applied.sent) {
          p.batchesDone += 1;
          p.usersDone += batch.itemCount;
        }
        report();
      })
      .catch((err) => {
        failure ??= err;
      })
      .finally(() => {
        busy.set(batch.operatorId, (busy.get(batch.operatorId) ?? 1) - 1);
        inFlight.delete(job);
      });
    inFlight.add(job);
  };

  const queuedCount = () => [...queues.values()].reduce((n, q) => n + q.length, 0);
  // Listing again is worth it only when the queues run short.
  const wantsListing = () =>
    queuedCount() < maxInFlight * 2 && (wake.pending() || (planningDone && !listedAfterPlanning));
  let listedAfterPlanning = false;
  for (;;) {
    if (stopped()) break;
    if (wantsListing()) {
      const finalPass = planningDone;
      wake.clear();
      for (const b of await listUnappliedBatches(deps.db, finalPass ? undefined : batchSize)) {
        if (taken.has(b.batchId)) continue;
        taken.add(b.batchId);
        const queue = queues.get(b.operatorId);
        if (queue) queue.push(b);
        else queues.set(b.operatorId, [b]);
      }
      listedAfterPlanning = finalPass;
      const totals = await batchTotalsByOperator(deps.db);
      progress = [...totals].map(([operatorId, t]) => ({ operatorId, ...t }));
      report();
    }
    for (const [operatorId, queue] of queues) {
      while (
        queue.length > 0 &&
        inFlight.size < maxInFlight &&
        (busy.get(operatorId) ?? 0) < perOperator
      ) {
        start(queue.shift() as UnappliedBatch);
      }
    }
    if (queuedCount() === 0 && inFlight.size === 0 && listedAfterPlanning) break;
    // Sleep until an answer is applied, planning commits a chunk or ends.
    await new Promise<void>((resolve) => {
      if (stopped() || wantsListing()) return resolve();
      wake.onSignal(resolve);
      for (const job of inFlight) void job.then(resolve);
      if (!planningDone) void planned.then(resolve);
    });
  }
  if (stopped()) stopPlanning();
  await Promise.all(inFlight);
  await planned;
  if (failure !== undefined) throw failure;
  throwIfAborted(options.signal);
  return taken.size;
}

interface WakeUp {
  /** Called by the planner after each committed chunk. */
  signal: () => void;
  /** Whether a chunk was committed since the last clear(). */
  pending: () => boolean;
  clear: () => void;
  onSignal: (listener: () => void) => void;
}

function createWakeUp(): WakeUp {
  let pending = true;
  let listener: (() => void) | undefined;
  return {
    signal: () => {
      pending = true;
      const l = listener;
      listener = undefined;
      l?.();
    },
    pending: () => pending,
    clear: () => {
      pending = false;
    },
    onSignal: (l) => {
      listener = l;
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}
