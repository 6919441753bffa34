import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import { joinByKeyLookups } from '../../db/key-lookup-joins.js';
import type { Database } from '../../db/port.js';
import type { DirectoryIndex } from '../../node/directory.js';
import type { PartnerClient, PartnerResponse } from '../../protocol/http/partner-client.js';
import { BATCH_ANSWERS } from '../../protocol/schemas/index.js';
import {
  lockBatchForApply,
  markBatchApplied,
  markBatchSending,
  readBatchRequest,
  recordBatchError,
  recordBatchOutcomes,
} from './legacy-batch-store.js';
import {
  identifyLegacyUsers,
  type LegacyUsersChanged,
  suspendLegacyUsers,
} from './legacy-user-transitions.js';

export interface SendLegacyBatchDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  client: PartnerClient;
  directory: DirectoryIndex;
  graceMs: number;
  /** Test seam: runs after the operator answered, before the answer is applied. */
  afterSend?: (batchId: string, operatorId: string) => void | Promise<void>;
  onUsersChanged?: LegacyUsersChanged | undefined;
}

export interface AppliedBatch {
  /** False when the batch was already applied (nothing sent). */
  sent: boolean;
  items: number;
  outcomes: Record<string, number>;
}

/**
 * Sends one planned batch to its operator (R9, I1) and applies the answer in
 * one transaction: matched users become identified with the batch's code
 * (the operator registered it in the same transaction it confirmed, I3);
 * reassigned and no-data users are suspended for re-identification;
 * NOT_SERVED users go back to waiting for one re-route. The batch is marked
 * `sent` before the request, `applied` with the signed evidence (R10) in the
 * apply transaction; an applied batch is never sent again.
 *
 * Concurrency: safe to run for different batches at once; for the same batch,
 * the apply transaction locks the batch row and the second apply is a no-op.
 */
export async function sendLegacyBatch(
  deps: SendLegacyBatchDeps,
  batch: { batchId: string; operatorId: string },
): Promise<AppliedBatch> {
  const { db, clock } = deps;
  const { body, userIds } = await readBatchRequest(db, batch.batchId);
  if (!(await markBatchSending(db, batch.batchId, clock.now()))) {
    return { sent: false, items: 0, outcomes: {} };
  }
  const operator = deps.directory.require(batch.operatorId);
  const fail = async (message: string, cause?: unknown): Promise<never> => {
    await recordBatchError(db, batch.batchId, message);
    throw new IdbridgeError('UNAVAILABLE', message, cause === undefined ? {} : { cause });
  };
  if (body.items.length === 0) {
    await db.transaction((tx) => markBatchApplied(tx, batch.batchId, clock.now(), null));
    return { sent: false, items: 0, outcomes: {} };
  }
  let res: PartnerResponse<typeof BATCH_ANSWERS>;
  try {
    res = await deps.client.send({
      participantId: operator.id,
      baseUrl: operator.baseUrl,
      method: 'POST',
      path: '/v1/identifications/batch',
      body,
      answers: BATCH_ANSWERS,
    });
  } catch (err) {
    return fail(
      `batch ${batch.batchId} to ${operator.id} not delivered: ${(err as Error).message}`,
      err,
    );
  }
  if (!res.ok) {
    const code = res.error?.code ?? '';
    return fail(`${operator.id} refused batch ${batch.batchId}: HTTP ${res.status} ${code}`);
  }
  const answer = res.body;
  const mismatch =
    answer.batchId !== batch.batchId ||
    answer.results.length !== body.items.length ||
    answer.results.some((r, i) => r.requestId !== body.items[i]?.requestId);
  if (mismatch) return fail(`${operator.id} answered batch ${batch.batchId} with other items`);
  await deps.afterSend?.(batch.batchId, batch.operatorId);

  const outcomes: Record<string, number> = {};
  await db.transaction(async (tx) => {
    if (!(await lockBatchForApply(tx, batch.batchId))) return;
    await joinByKeyLookups(tx);
    const now = clock.now();
    const rows = await recordBatchOutcomes(tx, {
      batchId: batch.batchId,
      operatorId: batch.operatorId,
      // The answer's items are the body's, in order (checked above).
      userIds,
      codes: body.items.map((i) => i.identificationCode),
      results: answer.results.map((r) => r.result),
      reasons: answer.results.map((r) => ('reason' in r ? r.reason : null)),
      now,
    });
    const matched = rows.filter((r) => r.status === 'matched');
    const refused = rows.filter((r) => r.status !== 'matched' && r.status !== 'waiting');
    const identified = await identifyLegacyUsers(tx, deps.ids, {
      userIds: matched.map((r) => r.userId),
      codes: matched.map((r) => r.code),
      operatorId: batch.operatorId,
      now,
    });
    const suspended = await suspendLegacyUsers(tx, deps.ids, {
      userIds: refused.map((r) => r.userId),
      reasons: refused.map((r) => r.status.toUpperCase()),
      now,
      graceUntil: new Date(now.getTime() + deps.graceMs),
    });
    if (identified.length > 0) {
      await deps.onUsersChanged?.(tx, {
        userIds: identified,
        state: 'identified',
        cause: 'legacy reconciliation: data match',
      });
    }
    if (suspended.length > 0) {
      await deps.onUsersChanged?.(tx, {
        userIds: suspended,
        state: 'suspended',
        cause: 'legacy reconciliation: no match',
      });
    }
    await markBatchApplied(tx, batch.batchId, now, { status: res.status, signature: res.evidence });
    for (const r of rows) outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
  });
  return { sent: true, items: body.items.length, outcomes };
}
