import { assertAuditHeadMoved, auditAppendWrites } from '../../audit/append-audit-entry.js';
import { answerDueBy } from '../../core/deadlines.js';
import { IdbridgeError } from '../../core/errors.js';
import { runCombinedWrites, type WritePart } from '../../db/combined-writes.js';
import type { Queryable } from '../../db/port.js';
import { dropClaimsWrite, storeAnswersWrite } from '../../partner-records/idempotency-store.js';
import type { IdentificationRequest } from '../../protocol/schemas/index.js';
import type { SubscriberContract } from '../subscribers/subscriber-contract-store.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';
import {
  type DecideDeps,
  type Decision,
  decisionAnswer,
  planDecision,
} from './decide-identification.js';
import { factsColumns, factsJoins, toDecisionFacts } from './decision-facts.js';

/** One request of a group: what the route knows when it hands the request over. */
export interface GroupedRequest {
  messengerId: string;
  request: IdentificationRequest;
  /** SHA-256 of the raw body: the idempotency key's body (protocol.md §1). */
  requestHash: string;
  receivedAt: Date;
}

/**
 * Per request of the group, in order: its decision, committed with the
 * group; or `alone`: the group did not decide it, and it must be decided on
 * its own after the group commits (decideIdentification in runIdempotent),
 * exactly as if it had arrived a moment later.
 */
export type GroupOutcome = { decided: Decision } | { alone: true };

const ALONE = { alone: true } as const;

/**
 * Decides several single identification requests (POST /v1/identifications)
 * in one transaction of three round trips (facts, writes, commit) instead of
 * three each: the idempotency keys are claimed and the facts read by one
 * set-based statement, every decision's writes made by another. Each request
 * is decided by the same rules as one alone (planDecision, DECISION_LOCK,
 * I3) and gets the same answer, register entry and request record; the audit
 * log gets one `identification.group_decided` entry for the group.
 *
 * Only the plain cases are decided here; a request is left `alone` when:
 * its key was already claimed (a retry: it gets the stored answer), its code
 * is taken (CONFLICT, its claim must not stay), it goes to the slow path or
 * replaces an open entry under a new code (statements of their own), or it
 * shares its number, code or key with an earlier request of the group. The
 * claims of requests left alone after the facts are deleted in the writes'
 * statement, so the group leaves no trace of them.
 *
 * A unique violation (a racing transaction registered the same code or slot
 * first), a deadlock or any other error fails the whole group: the caller
 * rolls back and decides every request alone.
 */
export async function decideIdentificationGroup(
  tx: Queryable,
  deps: DecideDeps,
  requests: readonly GroupedRequest[],
  now: Date,
): Promise<GroupOutcome[]> {
  const outcomes: GroupOutcome[] = requests.map(() => ALONE);
  const members = distinctMembers(requests);
  if (members.length === 0) return outcomes;
  // DECISION_LOCK: a statement locking many contracts takes them in number order.
  members.sort((a, b) => compareKeys(keyOf(requests[a]), keyOf(requests[b])));
  const pick = <T>(f: (r: GroupedRequest) => T): T[] =>
    members.map((n) => f(requests[n] as GroupedRequest));

  const { rows } = await tx.query<Record<string, unknown>>(FACTS_SQL, [
    pick((r) => msisdnToKey(r.request.msisdn)),
    pick((r) => r.receivedAt),
    pick((r) => r.messengerId),
    pick((r) => r.request.identificationCode),
    pick((r) => r.request.requestId),
    pick((r) => r.requestHash),
    now,
  ]);
  if (rows.length !== members.length) {
    throw new Error(
      `identification group: ${rows.length} fact rows for ${members.length} requests`,
    );
  }

  const decided: Array<{
    n: number;
    decision: Decision;
    entryId: string | null;
    /** The contract of a new entry (I3). */
    opens?: SubscriberContract;
  }> = [];
  const unclaimed: number[] = [];
  rows.forEach((row, i) => {
    const n = members[i] as number;
    if (row.claimed !== true) return; // a retry: answered alone, from the stored answer
    const { request, receivedAt } = requests[n] as GroupedRequest;
    let plan: ReturnType<typeof planDecision>;
    try {
      plan = planDecision(toDecisionFacts(row), deps.slowPathEnabled);
    } catch (err) {
      if (!(err instanceof IdbridgeError && err.code === 'CONFLICT')) throw err;
      unclaimed.push(n);
      return;
    }
    if (plan.kind === 'pending' || (plan.kind === 'confirmed' && plan.replaces)) {
      unclaimed.push(n);
      return;
    }
    const decision = decisionAnswer(plan, request.requestId, receivedAt);
    if (plan.kind === 'not_confirmed') {
      decided.push({ n, decision, entryId: null });
    } else if (plan.openEntryId !== null) {
      decided.push({ n, decision, entryId: plan.openEntryId });
    } else {
      decided.push({ n, decision, entryId: deps.ids(), opens: plan.contract });
    }
  });
  if (decided.length === 0) {
    // Nothing to write: drop the claims by rolling back (the caller decides each alone).
    throw new GroupDecidedNothing();
  }

  const of = (n: number) => requests[n] as GroupedRequest;
  const opened = decided.flatMap((d) => (d.opens ? [{ ...d, contract: d.opens }] : []));
  const hashes = decided.map((d) => deps.hashNumber(of(d.n).request.msisdn));
  const results = decided.map((d) => d.decision.answer.result);
  const reasons = decided.map((d) =>
    d.decision.answer.result === 'not_confirmed' ? d.decision.answer.reason : null,
  );
  const writes: WritePart[] = [
    {
      name: 'requests_recorded',
      sql: `INSERT INTO identification_requests
              (messenger_id, request_id, msisdn_hash, code, previous_code, purpose, received_at,
               answer_by, state, reason, answered_at, decided_by, entry_id)
            SELECT r.messenger_id, r.request_id, r.msisdn_hash, r.code, r.previous_code, r.purpose,
                   r.received_at, r.answer_by, r.state, r.reason, r.received_at, 'fast', r.entry_id
              FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::uuid[])
                AS r(messenger_id, request_id, msisdn_hash, code, previous_code, purpose,
                     received_at, answer_by, state, reason, entry_id)`,
      params: [
        decided.map((d) => of(d.n).messengerId),
        decided.map((d) => of(d.n).request.requestId),
        hashes,
        decided.map((d) => of(d.n).request.identificationCode),
        decided.map((d) => of(d.n).request.previousCode ?? null),
        decided.map((d) => of(d.n).request.purpose),
        decided.map((d) => of(d.n).receivedAt),
        decided.map((d) => answerDueBy(of(d.n).receivedAt)),
        results,
        reasons,
        decided.map((d) => d.entryId),
      ],
    },
    storeAnswersWrite(
      decided.map((d) => ({
        callerId: of(d.n).messengerId,
        key: of(d.n).request.requestId,
        statusCode: d.decision.statusCode,
        body: d.decision.answer,
      })),
    ),
    ...auditAppendWrites({
      kind: 'identification.group_decided',
      subject: `requests:${decided.length}`,
      at: now,
      // Item n at position n of each column (as identification.batch_decided).
      data: {
        decidedBy: 'fast',
        columns: {
          messengerId: decided.map((d) => of(d.n).messengerId),
          requestId: decided.map((d) => of(d.n).request.requestId),
          receivedAt: decided.map((d) => of(d.n).receivedAt.toISOString()),
          msisdnHash: hashes,
          code: decided.map((d) => of(d.n).request.identificationCode),
          purpose: decided.map((d) => of(d.n).request.purpose),
          result: results,
          reason: reasons,
          entryId: decided.map((d) => d.entryId),
        },
      },
    }),
  ];
  if (opened.length > 0) {
    // R5, I3: the register entries commit with their decisions.
    writes.unshift({
      name: 'register_opened',
      sql: `INSERT INTO register_entries
              (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                                 $6::uuid[], $7::timestamptz[])`,
      params: [
        opened.map((d) => d.entryId),
        opened.map((d) => of(d.n).messengerId),
        opened.map((d) => of(d.n).request.identificationCode),
        opened.map((d) => msisdnToKey(d.contract.msisdn)),
        opened.map((d) => d.contract.contractId),
        opened.map((d) => of(d.n).request.requestId),
        opened.map((d) => of(d.n).receivedAt),
      ],
    });
  }
  if (unclaimed.length > 0) {
    writes.push(
      dropClaimsWrite(
        unclaimed.map((n) => ({ callerId: of(n).messengerId, key: of(n).request.requestId })),
      ),
    );
  }
  const counts = await runCombinedWrites(tx, writes);
  assertAuditHeadMoved(counts);
  if (counts.answers_stored !== decided.length) {
    throw new Error('identification group: an answer was not stored (its key row is missing)');
  }
  if (unclaimed.length > 0 && counts.claims_dropped !== unclaimed.length) {
    throw new Error('identification group: a claim to drop was missing');
  }
  for (const d of decided) outcomes[d.n] = { decided: d.decision };
  return outcomes;
}

/** Thrown when a group decided none of its requests: roll back and decide each alone. */
export class GroupDecidedNothing extends Error {
  constructor() {
    super('the group decided none of its requests');
  }
}

const FACTS_SQL = `
  WITH q AS (
    SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
                         $6::text[]) WITH ORDINALITY
      AS q(msisdn, at, messenger_id, code, request_id, request_hash, n)),
  -- The keys' claims: runIdempotent's claim (idempotency-store.ts), one row per request.
  claimed AS (
    INSERT INTO idempotent_requests (caller_id, request_key, request_hash, status_code, created_at)
    SELECT messenger_id, request_id, request_hash, 0, $7 FROM q
    ON CONFLICT (caller_id, request_key) DO NOTHING
    RETURNING caller_id, request_key)
  SELECT ${factsColumns('q.at')},
         EXISTS (SELECT 1 FROM claimed c
                  WHERE c.caller_id = q.messenger_id AND c.request_key = q.request_id) AS claimed
    FROM q${factsJoins({ msisdn: 'q.msisdn', at: 'q.at', messengerId: 'q.messenger_id', code: 'q.code' })}
   ORDER BY q.n`;

/**
 * The positions of the requests the group may decide together: the first of
 * any that share a key, a code (per messenger) or a number. Two such
 * requests decided in one statement would not see each other's writes; the
 * later one is decided alone, after the group, and sees them.
 */
function distinctMembers(requests: readonly GroupedRequest[]): number[] {
  const seen = new Set<string>();
  const members: number[] = [];
  requests.forEach((r, n) => {
    const marks = [
      `k ${r.messengerId} ${r.request.requestId}`,
      `c ${r.messengerId} ${r.request.identificationCode}`,
      `m ${msisdnToKey(r.request.msisdn) ?? r.request.msisdn}`,
    ];
    if (marks.some((m) => seen.has(m))) return;
    for (const m of marks) seen.add(m);
    members.push(n);
  });
  return members;
}

const keyOf = (r: GroupedRequest | undefined): string | null =>
  r ? msisdnToKey(r.request.msisdn) : null;

/** Number keys in numeric order (equal-length digit strings compare as text); unknown last. */
function compareKeys(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
