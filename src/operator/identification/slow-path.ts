import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Database, Queryable } from '../../db/port.js';
import { enqueueOutbox } from '../../outbox/index.js';
import type { IdentificationResult, NotConfirmedReason } from '../../protocol/schemas/index.js';
import type { RegisterEntry } from '../register/register-store.js';
import { findValidContract } from '../subscribers/subscriber-contract-store.js';
import { keyToMsisdn } from '../subscribers/subscriber-msisdn.js';
import { assertCodeFree, confirmInRegister } from './decide-identification.js';
import { type DecidedBy, decidePendingRequest } from './identification-request-store.js';

/**
 * The slow path (protocol.md §2, 202 pending): numbers the base cannot decide
 * alone are asked of the BSS; every pending request is answered — by the
 * checker or, failing that, by the sweeper — before 20 minutes (R3, R10).
 * Each answer is written with its callback to the messenger in one
 * transaction (outbox), so an answer is never decided without being sent.
 */
export type BssVerdict = 'confirmed' | 'not_confirmed' | 'undecided';

/** Asks the operator's billing system about one contract. May be slow or fail. */
export interface BssChecker {
  check(input: { msisdn: string; contractId: string }): Promise<BssVerdict>;
}

export interface SlowPathDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  log: Logger;
  checker: BssChecker | undefined;
  /** Undecided requests are answered not_confirmed this long after receipt (< 20 min). */
  decideWithinMs: number;
  /** How long a claimed check is reserved before another instance may retry it. */
  checkLeaseMs?: number;
  batchSize?: number;
  /** Told after commit what was answered, for the answer-time metrics (R10). */
  onAnswered?: (answers: readonly SlowPathAnswer[]) => void;
}

/** One request the slow path answered, with its time against the 20-minute line. */
export interface SlowPathAnswer {
  messengerId: string;
  result: 'confirmed' | 'not_confirmed';
  answerSeconds: number;
  /** Answered after `answer_by` (R3): a deadline miss. */
  late: boolean;
}

/**
 * Answers `not_confirmed` (NO_SUBSCRIBER_DATA) for every pending request older
 * than `decideWithinMs` (R4: no answer in time counts as not confirmed; we
 * say so explicitly, in time). Returns how many it answered.
 * Concurrency: rows are locked with SKIP LOCKED; a request the checker is
 * deciding at the same moment is decided once (state guard).
 */
export async function sweepOverdueIdentifications(deps: SlowPathDeps): Promise<number> {
  const now = deps.clock.now();
  const answers = await deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ messenger_id: string; request_id: string }>(
      `SELECT messenger_id, request_id FROM identification_requests
       WHERE state = 'pending' AND received_at <= $1
       ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [new Date(now.getTime() - deps.decideWithinMs), deps.batchSize ?? 500],
    );
    const done: SlowPathAnswer[] = [];
    for (const row of rows) {
      const a = await answer(
        tx,
        deps,
        { messengerId: row.messenger_id, requestId: row.request_id },
        now,
        {
          result: 'not_confirmed',
          reason: 'NO_SUBSCRIBER_DATA',
          decidedBy: 'sweeper',
        },
      );
      if (a) done.push(a);
    }
    return done;
  });
  if (answers.length > 0) deps.onAnswered?.(answers);
  return answers.length;
}

/**
 * Asks the checker about due pending requests and applies its verdicts.
 * The claim (a lease on `next_check_at`) is committed before the checker is
 * called, so a slow BSS holds no database locks; a verdict then lands in its
 * own transaction. Returns how many were decided.
 */
export async function checkPendingIdentifications(deps: SlowPathDeps): Promise<number> {
  const checker = deps.checker;
  if (!checker) return 0;
  const now = deps.clock.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      messenger_id: string;
      request_id: string;
      msisdn: string;
      contract_id: string;
    }>(
      `UPDATE pending_identifications p
          SET next_check_at = $2, attempts = attempts + 1
        WHERE (p.messenger_id, p.request_id) IN (
          SELECT messenger_id, request_id FROM pending_identifications
          WHERE next_check_at <= $1 ORDER BY next_check_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING messenger_id, request_id, msisdn::text AS msisdn, contract_id`,
      [now, new Date(now.getTime() + (deps.checkLeaseMs ?? 30_000)), deps.batchSize ?? 100],
    );
    return rows;
  });

  const answers: SlowPathAnswer[] = [];
  for (const item of claimed) {
    let verdict: BssVerdict;
    try {
      verdict = await checker.check({
        msisdn: keyToMsisdn(item.msisdn),
        contractId: item.contract_id,
      });
    } catch (err) {
      deps.log.warn({ err, requestId: item.request_id }, 'BSS check failed; will retry');
      continue;
    }
    if (verdict === 'undecided') continue;
    const key = { messengerId: item.messenger_id, requestId: item.request_id };
    const done = await deps.db.transaction(async (tx) => {
      const at = deps.clock.now();
      if (verdict === 'not_confirmed') {
        return answer(tx, deps, key, at, {
          result: 'not_confirmed',
          reason: 'NO_SUBSCRIBER_DATA',
          decidedBy: 'checker',
        });
      }
      // The base may have changed while the BSS thought: confirm only a
      // contract that is still the valid one, with its code still free;
      // locked so no termination ends it unseen before this commits (R7).
      const contract = await findValidContract(tx, keyToMsisdn(item.msisdn), at, {
        lock: 'share',
      });
      const { rows } = await tx.query<{ code: string }>(
        'SELECT code FROM identification_requests WHERE messenger_id = $1 AND request_id = $2',
        [key.messengerId, key.requestId],
      );
      const code = rows[0]?.code;
      if (
        !contract ||
        contract.contractId !== item.contract_id ||
        !contract.hasSubscriberData ||
        !code
      ) {
        return answer(tx, deps, key, at, {
          result: 'not_confirmed',
          reason: 'NO_SUBSCRIBER_DATA',
          decidedBy: 'checker',
        });
      }
      let entryWithCode: RegisterEntry | null;
      try {
        entryWithCode = await assertCodeFree(tx, key.messengerId, code, contract);
      } catch {
        return answer(tx, deps, key, at, {
          result: 'not_confirmed',
          reason: 'NO_SUBSCRIBER_DATA',
          decidedBy: 'checker',
        });
      }
      const entryId = await confirmInRegister(tx, deps.ids, {
        ...key,
        code,
        contract,
        at,
        entryWithCode,
      });
      return answer(tx, deps, key, at, { result: 'confirmed', entryId, decidedBy: 'checker' });
    });
    if (done) answers.push(done);
  }
  if (answers.length > 0) deps.onAnswered?.(answers);
  return answers.length;
}

type Verdict =
  | { result: 'confirmed'; entryId: string; decidedBy: DecidedBy }
  | { result: 'not_confirmed'; reason: NotConfirmedReason; decidedBy: DecidedBy };

/** Decides a pending request, drops its work item, and enqueues the callback (protocol.md §3). */
async function answer(
  tx: Queryable,
  deps: Pick<SlowPathDeps, 'ids'>,
  key: { messengerId: string; requestId: string },
  at: Date,
  verdict: Verdict,
): Promise<SlowPathAnswer | null> {
  const timing = await decidePendingRequest(
    tx,
    key,
    verdict.result === 'confirmed'
      ? { state: 'confirmed', at, decidedBy: verdict.decidedBy, entryId: verdict.entryId }
      : { state: 'not_confirmed', at, decidedBy: verdict.decidedBy, reason: verdict.reason },
  );
  if (!timing) return null;
  await tx.query(
    'DELETE FROM pending_identifications WHERE messenger_id = $1 AND request_id = $2',
    [key.messengerId, key.requestId],
  );
  const payload: IdentificationResult =
    verdict.result === 'confirmed'
      ? { requestId: key.requestId, result: 'confirmed', decidedAt: at.toISOString() }
      : {
          requestId: key.requestId,
          result: 'not_confirmed',
          reason: verdict.reason,
          decidedAt: at.toISOString(),
        };
  await enqueueOutbox(
    tx,
    [
      {
        kind: 'identification_result',
        partnerId: key.messengerId,
        dedupeKey: `${key.messengerId}:${key.requestId}`,
        payload,
      },
    ],
    { now: at, newId: deps.ids },
  );
  await appendAuditEntry(tx, {
    kind: 'identification.answered',
    subject: `request:${key.messengerId}:${key.requestId}`,
    at,
    data: { ...key, ...verdict },
  });
  return {
    messengerId: key.messengerId,
    result: verdict.result,
    answerSeconds: (at.getTime() - timing.receivedAt.getTime()) / 1000,
    late: at > timing.answerBy,
  };
}
