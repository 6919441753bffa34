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
import { hasRerouteWaiting } from './legacy-plan-store.js';
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
  /** Test seam: after an operator answered a batch, before it is applied. */
  afterSend?: (batchId: string, operatorId: string) => void | Promise<void>;
  /** In the transaction of every set of users moved (webhooks, set-based). */
  onUsersChanged?: LegacyUsersChanged;
}

const MAX_ROUNDS = 4;

/**
 * `reconcile` (R9, I1): plans every waiting legacy user into batches per
 * operator, sends them with bounded concurrency (at most `maxInFlight`
 * requests in all and `perOperator` per operator) and applies each answer in
 * its own transaction. Users answered NOT_SERVED are re-routed once after a
 * routing refresh (I5) in a following round. Returns the summary.
 *
 * Resumable: everything lives in the database. After a crash or an abort the
 * next call plans what is still waiting, skips applied batches and re-sends
 * a batch that was sent but not applied under its stored batchId with the
 * same body, which the operator answers from its idempotency record.
 *
 * Concurrency: run one reconcile per messenger at a time.
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
    const planned = await planLegacyBatches(
      { ...deps, onUsersChanged: options.onUsersChanged },
      {
        batchSize,
        chunk: options.planChunk ?? 50_000,
        graceMs: options.graceMs,
      },
    );
    log.info({ round, ...planned }, 'legacy users planned');
    const batches = await listUnappliedBatches(db);
    if (batches.length === 0) break;
    await sendBatches(deps, options, batches);
  }
  const summary = await readLegacySummary(db);
  log.info({ summary }, 'legacy reconciliation finished');
  return summary;
}

async function sendBatches(
  deps: ReconcileDeps,
  options: ReconcileOptions,
  batches: UnappliedBatch[],
): Promise<void> {
  const totals = await batchTotalsByOperator(deps.db);
  const progress = [...totals].map(([operatorId, t]) => ({ operatorId, ...t }));
  const report = () => options.onProgress?.(progress.map((p) => ({ ...p })));
  report();
  const queues = new Map<string, UnappliedBatch[]>();
  for (const b of batches) queues.set(b.operatorId, [...(queues.get(b.operatorId) ?? []), b]);

  const limit = createLimit(options.maxInFlight ?? 8);
  let failure: unknown;
  const stopped = () => failure !== undefined || options.signal?.aborted === true;
  const worker = async (queue: UnappliedBatch[]) => {
    for (;;) {
      await limit.acquire();
      try {
        const next = stopped() ? undefined : queue.shift();
        if (!next) return;
        const applied = await sendLegacyBatch(
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
          next,
        );
        const p = progress.find((x) => x.operatorId === next.operatorId);
        if (p && applied.sent) {
          p.batchesDone += 1;
          p.usersDone += next.itemCount;
        }
        report();
      } catch (err) {
        failure ??= err;
        return;
      } finally {
        limit.release();
      }
    }
  };
  const perOperator = options.perOperator ?? 2;
  await Promise.all(
    [...queues.values()].flatMap((queue) =>
      Array.from({ length: perOperator }, () => worker(queue)),
    ),
  );
  if (failure !== undefined) throw failure;
  throwIfAborted(options.signal);
}

function createLimit(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    async acquire(): Promise<void> {
      while (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
      active += 1;
    },
    release(): void {
      active -= 1;
      waiting.shift()?.();
    },
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}
