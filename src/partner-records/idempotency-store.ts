import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { IdbridgeError } from '../core/errors.js';
import type { WritePart } from '../db/combined-writes.js';
import type { Database, Queryable } from '../db/port.js';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

export interface IdempotentOutcome extends StoredResponse {
  /** True when this is the stored first answer, not a fresh decision. */
  replayed: boolean;
}

/** What a handler answers; `answerWritten` when it ran `answerWrite` itself. */
export interface HandledResponse extends StoredResponse {
  answerWritten?: boolean;
}

/**
 * The statement that stores the answer, as a counted write to combine with
 * the handler's own (db/combined-writes.ts); it must touch exactly one row
 * (check the counts with assertAnswerWritten).
 */
export type AnswerWrite = (response: StoredResponse) => WritePart;

const ANSWER_WRITE = 'idempotent_answer';

/** Throws unless a combined statement that held an answerWrite stored the answer. */
export function assertAnswerWritten(counts: Record<string, number>): void {
  if (counts[ANSWER_WRITE] !== 1) {
    throw new Error('the idempotent answer was not stored: its key row is missing');
  }
}

/** SHA-256 of the raw request body: what "the same body" means (protocol.md §1). */
export function hashRequestBody(rawBody: Buffer | string): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/**
 * The key's claim, for a handler that makes it part of its own first
 * statement (runIdempotent option `handlerClaims`): `write` is a counted
 * INSERT to put in that statement; `check` takes the statement's counts and
 * throws (to runIdempotent, which then reads the stored answer) when another
 * request already holds the key. Nothing else may be done before `check`.
 */
export interface IdempotencyClaim {
  write: WritePart;
  check(counts: Record<string, number>): void;
}

const CLAIM_WRITE = 'idempotency_claim';
const CLAIM_SQL = `INSERT INTO idempotent_requests (caller_id, request_key, request_hash, status_code, created_at)
       VALUES ($1, $2, $3, 0, $4)
       ON CONFLICT (caller_id, request_key) DO NOTHING`;

/** Thrown by IdempotencyClaim.check; never leaves runIdempotent. */
class KeyAlreadyClaimed extends Error {}

/**
 * Runs `handle` at most once per (caller, key) and stores its answer in the
 * same transaction as the work it did, so a retry can never observe the work
 * without the answer or the answer without the work.
 *
 * Concurrency: the key row is inserted first. A second request with the same
 * key blocks on that row's unique index until the first transaction ends;
 * then it either reads the committed answer, or (if the first rolled back)
 * becomes the first itself. Another body under the same key → CONFLICT.
 *
 * The answer is stored after `handle` returns, in its own statement, unless
 * the handler wrote it itself with `answerWrite` among its last writes (one
 * round trip less: the operator's single identification does this) and says
 * so with `answerWritten`. Likewise, with `handlerClaims` the key is claimed
 * in the handler's first statement (`claim`) instead of one of its own.
 */
export async function runIdempotent(
  db: Database,
  request: { callerId: string; key: string; requestHash: string },
  clock: Clock,
  handle: (
    tx: Queryable,
    answerWrite: AnswerWrite,
    claim: IdempotencyClaim,
  ) => Promise<HandledResponse>,
  options: { handlerClaims?: boolean } = {},
): Promise<IdempotentOutcome> {
  const claimParams = [request.callerId, request.key, request.requestHash, clock.now()];
  return db.transaction(async (tx) => {
    let checked = false;
    const claim: IdempotencyClaim = {
      write: {
        name: CLAIM_WRITE,
        sql: `${CLAIM_SQL} RETURNING 1`,
        params: claimParams,
        counted: true,
      },
      check(counts) {
        checked = true;
        if (counts[CLAIM_WRITE] !== 1) throw new KeyAlreadyClaimed();
      },
    };
    const answerWrite: AnswerWrite = (response) => ({
      name: ANSWER_WRITE,
      sql: `UPDATE idempotent_requests SET status_code = $3, response_body = $4
             WHERE caller_id = $1 AND request_key = $2 RETURNING 1`,
      params: [
        request.callerId,
        request.key,
        response.statusCode,
        JSON.stringify(response.body ?? null),
      ],
      counted: true,
    });
    let handled: HandledResponse;
    try {
      if (!options.handlerClaims) {
        const claimed = await tx.query(CLAIM_SQL, claimParams);
        claim.check({ [CLAIM_WRITE]: claimed.rowCount });
      }
      handled = await handle(tx, answerWrite, claim);
    } catch (err) {
      if (err instanceof KeyAlreadyClaimed) return storedAnswer(tx, request);
      throw err;
    }
    if (!checked) {
      throw new Error('runIdempotent: the handler claimed the key but never checked the claim');
    }
    const { answerWritten, ...response } = handled;
    if (!answerWritten) {
      const write = answerWrite(response);
      await tx.query(write.sql, write.params);
    }
    return { ...response, replayed: false };
  });
}

/**
 * Many keys' answers as one counted write (answers_stored), for a handler
 * that decided several requests in one transaction after claiming their
 * keys (the operator's identification groups); check the count equals the
 * number of answers.
 */
export function storeAnswersWrite(
  answers: ReadonlyArray<{ callerId: string; key: string } & StoredResponse>,
): WritePart {
  return {
    name: 'answers_stored',
    sql: `UPDATE idempotent_requests i SET status_code = a.status_code, response_body = a.body
            FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[])
              AS a(caller_id, request_key, status_code, body)
           WHERE i.caller_id = a.caller_id AND i.request_key = a.request_key
          RETURNING 1`,
    params: [
      answers.map((a) => a.callerId),
      answers.map((a) => a.key),
      answers.map((a) => a.statusCode),
      answers.map((a) => JSON.stringify(a.body ?? null)),
    ],
    counted: true,
  };
}

/**
 * Gives claimed keys back as one counted write (claims_dropped): their
 * requests were not handled in this transaction and will be handled by one
 * of their own, which must be able to claim them again.
 */
export function dropClaimsWrite(keys: ReadonlyArray<{ callerId: string; key: string }>): WritePart {
  return {
    name: 'claims_dropped',
    sql: `DELETE FROM idempotent_requests i
           USING unnest($1::text[], $2::text[]) AS d(caller_id, request_key)
           WHERE i.caller_id = d.caller_id AND i.request_key = d.request_key
          RETURNING 1`,
    params: [keys.map((k) => k.callerId), keys.map((k) => k.key)],
    counted: true,
  };
}

/** The first request's answer, for a request whose key was already claimed. */
async function storedAnswer(
  tx: Queryable,
  request: { callerId: string; key: string; requestHash: string },
): Promise<IdempotentOutcome> {
  const { rows } = await tx.query<{
    request_hash: string;
    status_code: number;
    response_body: unknown;
  }>(
    `SELECT request_hash, status_code, response_body FROM idempotent_requests
     WHERE caller_id = $1 AND request_key = $2`,
    [request.callerId, request.key],
  );
  const first = rows[0];
  if (!first || first.request_hash !== request.requestHash) {
    throw new IdbridgeError('CONFLICT', `id ${request.key} was already used with another body`);
  }
  return { statusCode: first.status_code, body: first.response_body, replayed: true };
}

/** Forgets answers older than `before` (retention, R11); returns how many. */
export async function purgeIdempotentRequests(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM idempotent_requests WHERE created_at < $1', [
    before,
  ]);
  return rowCount;
}
