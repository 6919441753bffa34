import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Database } from '../../db/port.js';
import { type IdempotentOutcome, runIdempotent } from '../../partner-records/idempotency-store.js';
import { type DecideDeps, decideIdentification } from './decide-identification.js';
import {
  decideIdentificationGroup,
  GroupDecidedNothing,
  type GroupedRequest,
  type GroupOutcome,
} from './decide-identification-group.js';

export interface IdentifyOptions {
  db: Database;
  clock: Clock;
  log: Logger;
  deps: DecideDeps;
  /**
   * Requests decided together in one transaction at most; 1 decides every
   * request in a transaction of its own.
   */
  maxGroupSize: number;
  /** Transactions deciding requests at once; more requests wait and form the next groups. */
  maxInFlight: number;
}

/** Counts since start, for benchmarks and tests. */
export interface IdentifyStats {
  /** Transactions that decided a group of two or more. */
  groups: number;
  /** Requests decided in those groups. */
  grouped: number;
  /** Requests decided alone: arrived alone, or left alone by their group. */
  alone: number;
  /** Groups that failed (a race, a deadlock) and had every request decided alone. */
  fallbacks: number;
}

export interface Identify {
  (request: GroupedRequest): Promise<IdempotentOutcome>;
  stats(): IdentifyStats;
}

interface Waiting {
  request: GroupedRequest;
  resolve: (outcome: IdempotentOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Decides single identification requests (POST /v1/identifications), each
 * once per idempotency key (runIdempotent), grouping the ones that arrive
 * while others are being decided.
 *
 * Why: an identification's database work is a few small writes, and each
 * transaction costs round trips and a commit (a WAL flush) on top of them.
 * When requests queue up, the next ones are decided together in one
 * transaction (decide-identification-group.ts), so a busy node spends its
 * database's time on the writes. Nothing waits to fill a group: a request
 * that finds a free slot (`maxInFlight`) is decided at once, alone, exactly
 * as without grouping; groups form only from requests that would otherwise
 * wait for a slot.
 *
 * A group commits all its decisions or none: when it fails (another
 * transaction registered one of its codes first, a deadlock, a lost
 * connection), every request in it is decided alone, so one request's
 * CONFLICT is never another's error.
 */
export function createIdentify(options: IdentifyOptions): Identify {
  const { db, clock, log, deps } = options;
  const queue: Waiting[] = [];
  let inFlight = 0;
  const stats: IdentifyStats = { groups: 0, grouped: 0, alone: 0, fallbacks: 0 };

  const decideAlone = (request: GroupedRequest): Promise<IdempotentOutcome> => {
    stats.alone++;
    return runIdempotent(
      db,
      {
        callerId: request.messengerId,
        key: request.request.requestId,
        requestHash: request.requestHash,
      },
      clock,
      async (tx, answerWrite, claim) => {
        // The key is claimed in the decision's first statement and the
        // answer stored in its last.
        const decision = await decideIdentification(tx, deps, {
          messengerId: request.messengerId,
          request: request.request,
          receivedAt: request.receivedAt,
          answerWrite,
          claim,
        });
        return { statusCode: decision.statusCode, body: decision.answer, answerWritten: true };
      },
      { handlerClaims: true },
    );
  };

  const settleAlone = (w: Waiting): Promise<void> =>
    decideAlone(w.request).then(w.resolve, w.reject);

  const decideGroup = async (group: Waiting[]): Promise<void> => {
    let outcomes: GroupOutcome[];
    try {
      outcomes = await db.transaction((tx) =>
        decideIdentificationGroup(
          tx,
          deps,
          group.map((w) => w.request),
          clock.now(),
        ),
      );
    } catch (err) {
      if (!(err instanceof GroupDecidedNothing)) {
        stats.fallbacks++;
        log.debug({ err, requests: group.length }, 'identification group failed; deciding alone');
      }
      outcomes = group.map(() => ({ alone: true }));
    }
    const after: Array<Promise<void>> = [];
    outcomes.forEach((outcome, n) => {
      const w = group[n] as Waiting;
      if ('decided' in outcome) {
        stats.grouped++;
        w.resolve({
          statusCode: outcome.decided.statusCode,
          body: outcome.decided.answer,
          replayed: false,
        });
      } else {
        after.push(settleAlone(w));
      }
    });
    if (group.length > after.length) stats.groups++;
    await Promise.all(after);
  };

  const pump = (): void => {
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const group = queue.splice(0, Math.max(1, options.maxGroupSize));
      inFlight++;
      const done = group.length === 1 ? settleAlone(group[0] as Waiting) : decideGroup(group);
      void done
        .catch((err: unknown) => {
          // Every request was settled above; this is a bug, not a request's error.
          log.error({ err }, 'identification: a group ended with an unsettled error');
          for (const w of group) w.reject(err);
        })
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };

  const identify = (request: GroupedRequest): Promise<IdempotentOutcome> =>
    new Promise((resolve, reject) => {
      queue.push({ request, resolve, reject });
      pump();
    });
  return Object.assign(identify, { stats: () => ({ ...stats }) });
}
