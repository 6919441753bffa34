import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import { joinByKeyLookups } from '../../db/key-lookup-joins.js';
import type { Database } from '../../db/port.js';
import type { DirectoryIndex } from '../../node/directory.js';
import type { RoutingService } from '../../routing/index.js';
import type { CodeGenerator } from '../identification/identification-code.js';
import {
  appendPlannedItems,
  assertPlanner,
  lockOpenBatches,
  readWaitingLegacyUsers,
  settleUnplanned,
} from './legacy-plan-store.js';
import { type LegacyUsersChanged, suspendLegacyUsers } from './legacy-user-transitions.js';

export interface PlanLegacyDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  newCode: CodeGenerator;
  routing: RoutingService;
  directory: DirectoryIndex;
  onUsersChanged?: LegacyUsersChanged | undefined;
}

export interface PlanResult {
  planned: number;
  unroutable: number;
  notServed: number;
}

const NO_USER = '00000000-0000-0000-0000-000000000000';

/**
 * Routes every waiting legacy user (I5) and assigns it to a batch for its
 * operator, `chunk` users per transaction. Each batch gets its batchId, and
 * each item its requestId and identification code (R5, I3), stored before
 * anything is sent, so a re-send after a crash is byte-for-byte the same
 * request. Batches fill up to `batchSize` across chunks; a batch is never
 * changed once sent.
 *
 * Users no operator serves are settled here: `unroutable` (routing reason
 * kept), or `not_served` when a second route after NOT_SERVED finds no other
 * operator. Both are suspended for re-identification as new users (R9).
 *
 * A planned user's own row is not written: it stays `waiting` until its
 * batch's answer is applied. So planning starts only when no batch is left
 * unapplied (reconcileLegacyUsers sees to it), and within one call the
 * cursor never comes back to a user it planned.
 *
 * Concurrency: one planner at a time per messenger: the run that took the
 * planner row last (takePlanner); an earlier run's planner throws CONFLICT
 * at its next transaction. It runs beside the sender, which meanwhile takes only full batches:
 * planning never touches those again.
 */
export async function planLegacyBatches(
  deps: PlanLegacyDeps,
  options: {
    /** The run that took the planner (takePlanner); planning stops if another run takes it. */
    runId: string;
    batchSize: number;
    chunk: number;
    graceMs: number;
    /** Take users waiting for a re-route after NOT_SERVED (only once routing was refreshed, I5). */
    includeRerouted: boolean;
    /** Stops between chunks; what was planned stays planned. */
    signal?: AbortSignal;
    /** After each committed chunk (a batch may have become full); awaited. */
    onChunkPlanned?: () => void | Promise<void>;
  },
): Promise<PlanResult> {
  const { db, clock, ids } = deps;
  const total: PlanResult = { planned: 0, unroutable: 0, notServed: 0 };
  let after = NO_USER;
  while (options.signal?.aborted !== true) {
    const step = await db.transaction(async (tx) => {
      await assertPlanner(tx, options.runId);
      await joinByKeyLookups(tx);
      const { users, lastScanned } = await readWaitingLegacyUsers(
        tx,
        after,
        options.chunk,
        options.includeRerouted,
      );
      if (lastScanned === null) return null;
      const open = new Map<string, { batchId: string; operatorId: string; itemCount: number }>();
      for (const b of await lockOpenBatches(tx, options.batchSize)) open.set(b.operatorId, b);
      const items = {
        batchIds: [] as string[],
        operatorIds: [] as string[],
        userIds: [] as string[],
        requestIds: [] as string[],
        codes: [] as string[],
      };
      const settled = {
        userIds: [] as string[],
        statuses: [] as string[],
        failures: [] as string[],
      };
      for (const user of users) {
        const route = deps.routing.lookup(user.msisdn);
        const operatorId = route.found ? route.participantId : undefined;
        const isOperator =
          operatorId !== undefined && deps.directory.get(operatorId)?.role === 'operator';
        if (!isOperator || operatorId === user.notServedBy) {
          const failure = !route.found
            ? route.reason
            : isOperator
              ? 'NOT_SERVED'
              : 'NOT_AN_OPERATOR';
          settled.userIds.push(user.userId);
          // After NOT_SERVED, any failure of the second route means "not served".
          settled.statuses.push(user.notServedBy ? 'not_served' : 'unroutable');
          settled.failures.push(failure);
          continue;
        }
        let batch = open.get(operatorId);
        if (!batch || batch.itemCount >= options.batchSize) {
          batch = { batchId: ids(), operatorId, itemCount: 0 };
          open.set(operatorId, batch);
        }
        batch.itemCount += 1;
        items.batchIds.push(batch.batchId);
        items.operatorIds.push(operatorId);
        items.userIds.push(user.userId);
        items.requestIds.push(ids());
        items.codes.push(deps.newCode());
      }
      const now = clock.now();
      await appendPlannedItems(tx, items, now);
      await settleUnplanned(tx, settled, now);
      const suspended = await suspendLegacyUsers(tx, ids, {
        userIds: settled.userIds,
        reasons: settled.statuses.map((s, i) =>
          s === 'not_served' ? 'NOT_SERVED' : `UNROUTABLE:${settled.failures[i]}`,
        ),
        now,
        graceUntil: new Date(now.getTime() + options.graceMs),
      });
      if (suspended.length > 0) {
        await deps.onUsersChanged?.(tx, {
          userIds: suspended,
          state: 'suspended',
          cause: 'legacy reconciliation: no operator serves the number',
        });
      }
      return {
        last: lastScanned,
        planned: items.userIds.length,
        unroutable: settled.statuses.filter((s) => s === 'unroutable').length,
        notServed: settled.statuses.filter((s) => s === 'not_served').length,
      };
    });
    if (!step) return total;
    await options.onChunkPlanned?.();
    after = step.last;
    total.planned += step.planned;
    total.unroutable += step.unroutable;
    total.notServed += step.notServed;
  }
  return total;
}
