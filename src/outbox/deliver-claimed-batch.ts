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

/**
 * Hands one claimed batch to the transport and records each item's outcome
 * under the worker's lease. A transport that throws fails the whole batch;
 * items it does not mention count as failed (at least once, never dropped).
 * The batch counts as a partner failure for the circuit breaker when nothing
 * in it got an answer (thrown, or every item failed).
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
}): Promise<void> {
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
  args.report.batches++;

  if (!outcome) {
    const ids = batch.items.map((i) => i.id);
    breaker.recordFailure(batch.partnerId);
    await markFailed(db, ids, hold, thrown ?? 'delivery failed', now, backoff);
    args.report.failed += ids.length;
    args.metrics?.outcomes.inc({ ...labels, outcome: 'failed' }, ids.length);
    args.log.warn(
      { partnerId: batch.partnerId, kind: batch.kind, items: ids.length, error: thrown },
      'outbox: batch delivery failed',
    );
    return;
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

  args.report.delivered += delivered.length;
  args.report.rejected += rejected;
  args.report.failed += failed;
  if (args.metrics) {
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
  }
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
}
