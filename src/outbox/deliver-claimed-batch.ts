import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Queryable } from '../db/port.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { OutboxMetrics } from './outbox-metrics.js';
import { markDelivered, markFailed, markRejected } from './outbox-store.js';
import type { ClaimedBatch, DeliverBatch, DeliveryOutcome } from './outbox-types.js';

export interface DeliveryReport {
  batches: number;
  delivered: number;
  rejected: number;
  failed: number;
}

/** Counts a batch's outcome in the report and the metrics; run once it is committed. */
export type CountOutcome = () => void;

/**
 * Hands one claimed batch to the transport and records each item's outcome
 * under the batch's hold. A transport that throws fails the whole batch;
 * items it does not mention count as failed (at least once, never dropped).
 * The batch counts as a partner failure for the circuit breaker when nothing
 * in it got an answer (thrown, or every item failed).
 *
 * Returns the counting of the outcome, for the caller to run after the
 * outcome is committed: under a transaction hold a failed commit sends the
 * batch again, and counted before it, its items would be counted twice. The
 * breaker is told at once: it tracks what the partner answered, which stays
 * true whether or not the commit succeeds.
 */
export async function deliverClaimedBatch(args: {
  db: Queryable;
  clock: Clock;
  log: Logger;
  deliver: DeliverBatch;
  batch: ClaimedBatch;
  leaseMs: number;
  backoffMs?: readonly number[] | undefined;
  breaker: CircuitBreaker;
  metrics?: OutboxMetrics | undefined;
  report: DeliveryReport;
}): Promise<CountOutcome> {
  // The outcome is recorded under the batch's hold: on `db` for a lease; for
  // a transaction hold `db` is that transaction, and the caller commits.
  const { db, batch, breaker } = args;
  const hold = batch.hold;
  const labels = { partner: batch.partnerId, kind: batch.kind };
  const leaseEnd = new AbortController();
  const timer = setTimeout(() => leaseEnd.abort(new Error('outbox lease expired')), args.leaseMs);
  let outcome: DeliveryOutcome | undefined;
  let thrown: string | undefined;
  try {
    outcome = await args.deliver(batch, { signal: leaseEnd.signal });
  } catch (err) {
    thrown = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
  const now = args.clock.now();
  const backoff = args.backoffMs ? { backoffMs: args.backoffMs } : {};

  if (!outcome) {
    const ids = batch.items.map((i) => i.id);
    breaker.recordFailure(batch.partnerId);
    args.log.warn(
      { partnerId: batch.partnerId, kind: batch.kind, items: ids.length, error: thrown },
      'outbox: batch delivery failed',
    );
    await markFailed(db, ids, hold, thrown ?? 'delivery failed', now, backoff);
    return () => {
      args.report.batches++;
      args.report.failed += ids.length;
      args.metrics?.outcomes.inc({ ...labels, outcome: 'failed' }, ids.length);
    };
  }

  // Only ids of this batch count; the first outcome named for an id wins.
  const pending = new Set(batch.items.map((i) => i.id));
  const take = (id: string): boolean => pending.delete(id);
  const delivered = outcome.delivered.filter(take);
  const rejectedByCode = new Map<string, string[]>();
  for (const r of outcome.rejected) {
    if (take(r.id)) rejectedByCode.set(r.code, [...(rejectedByCode.get(r.code) ?? []), r.id]);
  }
  const failedByError = new Map<string, string[]>();
  for (const f of outcome.failed ?? []) {
    if (take(f.id)) failedByError.set(f.error, [...(failedByError.get(f.error) ?? []), f.id]);
  }
  if (pending.size > 0) failedByError.set('no outcome reported for this item', [...pending]);

  await markDelivered(db, delivered, hold, now);
  let rejected = 0;
  for (const [code, ids] of rejectedByCode) {
    await markRejected(db, ids, hold, code, now);
    rejected += ids.length;
  }
  let failed = 0;
  for (const [error, ids] of failedByError) {
    await markFailed(db, ids, hold, error, now, backoff);
    failed += ids.length;
  }

  if (delivered.length + rejected === 0 && failed > 0) breaker.recordFailure(batch.partnerId);
  else breaker.recordSuccess(batch.partnerId);
  if (rejected + failed > 0) {
    args.log.warn(
      {
        partnerId: batch.partnerId,
        kind: batch.kind,
        delivered: delivered.length,
        rejected,
        failed,
      },
      'outbox: batch partly refused or failed',
    );
  }

  return () => {
    args.report.batches++;
    args.report.delivered += delivered.length;
    args.report.rejected += rejected;
    args.report.failed += failed;
    if (!args.metrics) return;
    args.metrics.outcomes.inc({ ...labels, outcome: 'delivered' }, delivered.length);
    args.metrics.outcomes.inc({ ...labels, outcome: 'rejected' }, rejected);
    args.metrics.outcomes.inc({ ...labels, outcome: 'failed' }, failed);
    const acknowledged = new Set(delivered);
    for (const item of batch.items) {
      if (!acknowledged.has(item.id)) continue;
      args.metrics.deliverySeconds.observe(
        labels,
        (now.getTime() - item.createdAt.getTime()) / 1000,
      );
      if (item.dueBy && now > item.dueBy) args.metrics.deadlineMisses.inc(labels);
    }
  };
}
