import { assertAuditHeadMoved, auditAppendWrites } from '../../audit/append-audit-entry.js';
import { answerDueBy } from '../../core/deadlines.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { NumberHasher } from '../../core/number-hash.js';
import { runCombinedWrites, type WritePart } from '../../db/combined-writes.js';
import type { Queryable } from '../../db/port.js';
import {
  type AnswerWrite,
  assertAnswerWritten,
  type IdempotencyClaim,
} from '../../partner-records/idempotency-store.js';
import type { IdentificationAnswer, IdentificationRequest } from '../../protocol/schemas/index.js';
import {
  asRegisterConflict,
  closeReplacedEntry,
  findEntryByCode,
  openRegisterEntry,
  type RegisterEntry,
  registerEntryWrite,
} from '../register/register-store.js';
import type { SubscriberContract } from '../subscribers/subscriber-contract-store.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';
import { type DecisionFacts, readDecisionFacts } from './decision-facts.js';
import { identificationRequestWrite } from './identification-request-store.js';

export interface DecideDeps {
  ids: IdGenerator;
  hashNumber: NumberHasher;
  /** Whether contracts flagged `needs_bss_check` go to the slow path (202). */
  slowPathEnabled: boolean;
}

export interface Decision {
  statusCode: 200 | 202;
  answer: IdentificationAnswer;
}

/**
 * Decides one identification request from the subscriber base, inside the
 * caller's transaction (I3): a confirmation writes its register entry in the
 * same transaction, so one never exists without the other.
 *
 * Throws CONFLICT when the code is already registered for another subscriber
 * (or was used before: codes name one registration for ever).
 */
export async function decideIdentification(
  tx: Queryable,
  deps: DecideDeps,
  input: {
    messengerId: string;
    request: IdentificationRequest;
    receivedAt: Date;
    /** Stores the idempotent answer in the decision's last statement (runIdempotent). */
    answerWrite?: AnswerWrite;
    /** Claims the idempotency key in the decision's first statement (runIdempotent). */
    claim?: IdempotencyClaim;
  },
): Promise<Decision> {
  const { messengerId, request, receivedAt } = input;
  const base = {
    messengerId,
    requestId: request.requestId,
    msisdnHash: deps.hashNumber(request.msisdn),
    code: request.identificationCode,
    previousCode: request.previousCode,
    purpose: request.purpose,
    receivedAt,
    answerBy: answerDueBy(receivedAt),
  };

  const facts = await readDecisionFacts(
    tx,
    { msisdn: request.msisdn, messengerId, code: request.identificationCode, at: receivedAt },
    input.claim?.write,
  );
  // A request whose key is already claimed stops here (runIdempotent answers it).
  input.claim?.check({ [input.claim.write.name]: facts.claimCount ?? 0 });
  const plan = planDecision(facts, deps.slowPathEnabled);
  const decision = decisionAnswer(plan, request.requestId, receivedAt);

  if (plan.kind === 'not_confirmed') {
    return writeDecision(
      tx,
      base,
      [
        identificationRequestWrite(base, {
          state: 'not_confirmed',
          at: receivedAt,
          decidedBy: 'fast',
          reason: plan.reason,
        }),
      ],
      { result: 'not_confirmed', reason: plan.reason },
      decision,
      input.answerWrite,
    );
  }

  const { contract } = plan;
  if (plan.kind === 'pending') {
    return writeDecision(
      tx,
      base,
      [
        identificationRequestWrite(base, { state: 'pending' }),
        {
          name: 'pending_recorded',
          sql: `INSERT INTO pending_identifications (messenger_id, request_id, msisdn, contract_id, next_check_at)
                VALUES ($1, $2, $3, $4, $5)`,
          params: [
            messengerId,
            request.requestId,
            msisdnToKey(contract.msisdn),
            contract.contractId,
            receivedAt,
          ],
        },
      ],
      { result: 'pending' },
      decision,
      input.answerWrite,
    );
  }

  // R5, I3: the register entry in this transaction. The code already naming
  // this contract's open entry (the same registration asked again) stands.
  const writes: WritePart[] = [];
  let entryId: string;
  if (plan.openEntryId !== null) {
    entryId = plan.openEntryId;
  } else {
    entryId = deps.ids();
    const entry = {
      entryId,
      messengerId,
      code: request.identificationCode,
      msisdn: contract.msisdn,
      contractId: contract.contractId,
      requestId: request.requestId,
      at: receivedAt,
    };
    // A new code replaces the open one: closed first, in its own statement,
    // or the unique index of open entries would still see it open.
    if (plan.replaces) await closeReplacedEntry(tx, entry);
    writes.push(registerEntryWrite(entry));
  }
  writes.push(
    identificationRequestWrite(base, {
      state: 'confirmed',
      at: receivedAt,
      decidedBy: 'fast',
      entryId,
    }),
  );
  return writeDecision(
    tx,
    base,
    writes,
    { result: 'confirmed', entryId },
    decision,
    input.answerWrite,
  );
}

/** What a decision does, from its facts alone (decideIdentification, decide-identification-group.ts). */
export type DecisionPlan =
  /** R4: no valid contract with subscriber data. */
  | { kind: 'not_confirmed'; reason: 'NO_SUBSCRIBER_DATA' | 'NOT_SERVED' }
  /** The slow path decides later (202). */
  | { kind: 'pending'; contract: SubscriberContract }
  | {
      kind: 'confirmed';
      contract: SubscriberContract;
      /** The open entry the code already names on this contract (asked again): it stands. */
      openEntryId: string | null;
      /** A new entry replaces this contract's open entry under another code. */
      replaces: boolean;
    };

/**
 * Decides from the facts (R4, R5, I3). Throws CONFLICT when the code is
 * already registered for another subscriber or was used before.
 */
export function planDecision(facts: DecisionFacts, slowPathEnabled: boolean): DecisionPlan {
  const { contract } = facts;
  if (!contract?.hasSubscriberData) {
    // NOT_SERVED tells the messenger its routing is stale (protocol.md §2).
    return {
      kind: 'not_confirmed',
      reason: contract || facts.served ? 'NO_SUBSCRIBER_DATA' : 'NOT_SERVED',
    };
  }
  const entryWithCode = checkCodeFree(facts.entryWithCode, contract);
  if (contract.needsBssCheck && slowPathEnabled) return { kind: 'pending', contract };
  if (entryWithCode && entryWithCode.closedAt === null) {
    return { kind: 'confirmed', contract, openEntryId: entryWithCode.entryId, replaces: false };
  }
  return { kind: 'confirmed', contract, openEntryId: null, replaces: facts.openCode !== null };
}

/** The answer to the messenger for a plan (protocol.md §2). */
export function decisionAnswer(plan: DecisionPlan, requestId: string, receivedAt: Date): Decision {
  if (plan.kind === 'not_confirmed') {
    return {
      statusCode: 200,
      answer: {
        requestId,
        result: 'not_confirmed',
        reason: plan.reason,
        decidedAt: receivedAt.toISOString(),
      },
    };
  }
  if (plan.kind === 'pending') {
    return {
      statusCode: 202,
      answer: {
        requestId,
        result: 'pending',
        answerBy: answerDueBy(receivedAt).toISOString(),
      },
    };
  }
  return {
    statusCode: 200,
    answer: { requestId, result: 'confirmed', confirmedAt: receivedAt.toISOString() },
  };
}

/**
 * The decision's writes, its audit entry (number keyed-hashed, R11)
 * and, when given, the idempotent answer, as one statement; returns the
 * decision. A unique violation means a racing request took the code or the
 * (contract, messenger) slot first: CONFLICT.
 */
async function writeDecision(
  tx: Queryable,
  base: {
    messengerId: string;
    requestId: string;
    msisdnHash: string;
    code: string;
    purpose: string;
    receivedAt: Date;
  },
  writes: WritePart[],
  outcome: { result: string; reason?: string; entryId?: string },
  decision: Decision,
  answerWrite: AnswerWrite | undefined,
): Promise<Decision> {
  const audit = auditAppendWrites({
    kind: 'identification.decided',
    subject: `request:${base.messengerId}:${base.requestId}`,
    at: base.receivedAt,
    data: {
      messengerId: base.messengerId,
      requestId: base.requestId,
      msisdnHash: base.msisdnHash,
      code: base.code,
      purpose: base.purpose,
      decidedBy: 'fast',
      ...outcome,
    },
  });
  let counts: Record<string, number>;
  try {
    counts = await runCombinedWrites(tx, [
      ...writes,
      ...audit,
      ...(answerWrite
        ? [answerWrite({ statusCode: decision.statusCode, body: decision.answer })]
        : []),
    ]);
  } catch (err) {
    throw asRegisterConflict(err);
  }
  assertAuditHeadMoved(counts);
  if (answerWrite) assertAnswerWritten(counts);
  return decision;
}

/**
 * A code already in the register is acceptable only as the open entry of this
 * very contract (the same registration asked again under a new requestId).
 * Returns the entry found (or null) so the caller need not read it again.
 */
export async function assertCodeFree(
  tx: Queryable,
  messengerId: string,
  code: string,
  contract: SubscriberContract,
): Promise<RegisterEntry | null> {
  return checkCodeFree(await findEntryByCode(tx, messengerId, code), contract);
}

/** assertCodeFree on an entry already read: returns it, or throws CONFLICT. */
export function checkCodeFree(
  existing: RegisterEntry | null,
  contract: SubscriberContract,
): RegisterEntry | null {
  if (!existing) return null;
  const sameOpenRegistration =
    existing.closedAt === null &&
    existing.msisdn === contract.msisdn &&
    existing.contractId === contract.contractId;
  if (!sameOpenRegistration) {
    throw new IdbridgeError(
      'CONFLICT',
      'identificationCode is already registered for another subscriber or was used before',
    );
  }
  return existing;
}

/**
 * Writes the register entry for a confirmation (R5, I3) and returns its id.
 * If the code already names this contract's open entry, that entry stands.
 */
export async function confirmInRegister(
  tx: Queryable,
  ids: IdGenerator,
  input: {
    messengerId: string;
    requestId: string;
    code: string;
    contract: SubscriberContract;
    at: Date;
    /** What assertCodeFree found in this transaction; absent: read it here. */
    entryWithCode?: RegisterEntry | null;
  },
): Promise<string> {
  const existing =
    input.entryWithCode !== undefined
      ? input.entryWithCode
      : await findEntryByCode(tx, input.messengerId, input.code);
  if (existing && existing.closedAt === null) return existing.entryId;
  const entryId = ids();
  await openRegisterEntry(tx, {
    entryId,
    messengerId: input.messengerId,
    code: input.code,
    msisdn: input.contract.msisdn,
    contractId: input.contract.contractId,
    requestId: input.requestId,
    at: input.at,
  });
  return entryId;
}
