import { systemClock } from '../../src/core/clock.js';
import type { IdGenerator } from '../../src/core/ids.js';
import type { NumberHasher } from '../../src/core/number-hash.js';
import type { Database, Queryable } from '../../src/db/port.js';
import { decideBatch } from '../../src/operator/identification/decide-batch.js';
import { decideIdentification } from '../../src/operator/identification/decide-identification.js';
import { hashRequestBody, runIdempotent } from '../../src/partner-records/idempotency-store.js';
import type { BatchIdentificationRequest } from '../../src/protocol/schemas/index.js';
import { identificationBody } from './identification-bodies.js';
import { type ConcurrentRun, runConcurrent } from './run-concurrent.js';

/**
 * The baselines of the operator benchmarks: the same database work the
 * partner routes do — `runIdempotent` (idempotency row claimed, answer
 * stored) around the decision function, in one transaction on a pg pool —
 * called directly, without HTTP, JSON schema validation, signatures or the
 * replay store. The route handlers in src/operator/http/partner-routes.ts do
 * exactly this inside the signed scope, so the ratio of the HTTP figure to
 * this one is the price of the protocol layer.
 */
export interface DirectDeps {
  db: Database;
  /**
   * When given, every statement's wall time is added here under its first
   * words (`INSERT INTO register_entries`, `SELECT … FROM subscriber_contracts`):
   * which statements the decision time goes to.
   */
  statementMs?: Map<string, { ms: number; calls: number }>;
  ids: IdGenerator;
  hashNumber: NumberHasher;
  messengerId: string;
}

export interface DirectRun extends ConcurrentRun {
  results: Record<string, number>;
}

const count = (tally: Record<string, number>, key: string) => {
  tally[key] = (tally[key] ?? 0) + 1;
};

/** The statement's kind and main table, e.g. `UPDATE register_entries`. */
function statementLabel(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const verb = flat.split(' ')[0]?.toUpperCase() ?? '?';
  const table = /(?:FROM|INTO|UPDATE)\s+([a-z_]+)/i.exec(flat)?.[1] ?? '';
  return `${verb} ${table}`.trim();
}

type StatementTimes = NonNullable<DirectDeps['statementMs']>;

function addTime(into: StatementTimes, label: string, ms: number): void {
  const entry = into.get(label) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  into.set(label, entry);
}

/**
 * The database with every statement timed, and each transaction's remainder
 * (BEGIN, COMMIT with its WAL flush, waiting for a pooled connection) under
 * `BEGIN/COMMIT + pool wait`.
 */
function timedDatabase(db: Database, into: StatementTimes | undefined): Database {
  if (!into) return db;
  return {
    ...db,
    async transaction(fn) {
      const t0 = performance.now();
      let inside = 0;
      try {
        return await db.transaction((tx) =>
          fn(
            timed(tx, into, (ms) => {
              inside += ms;
            }),
          ),
        );
      } finally {
        addTime(into, 'BEGIN/COMMIT + pool wait', performance.now() - t0 - inside);
      }
    },
  };
}

function timed(tx: Queryable, into: StatementTimes, onTime: (ms: number) => void): Queryable {
  return {
    exec: tx.exec,
    async query(sql, params) {
      const t0 = performance.now();
      try {
        return await tx.query(sql, params);
      } finally {
        const ms = performance.now() - t0;
        addTime(into, statementLabel(sql), ms);
        onTime(ms);
      }
    },
  } as Queryable;
}

export async function runDirectIdentifications(
  deps: DirectDeps,
  job: { tag: string; subscribers: readonly number[]; concurrency: number },
): Promise<DirectRun> {
  const results: Record<string, number> = {};
  const db = timedDatabase(deps.db, deps.statementMs);
  const run = await runConcurrent(job.subscribers, job.concurrency, async (i) => {
    const request = identificationBody(job.tag, i);
    const raw = JSON.stringify(request);
    const receivedAt = systemClock.now();
    const outcome = await runIdempotent(
      db,
      { callerId: deps.messengerId, key: request.requestId, requestHash: hashRequestBody(raw) },
      systemClock,
      async (tx, answerWrite, claim) => {
        const d = await decideIdentification(
          tx,
          { ids: deps.ids, hashNumber: deps.hashNumber, slowPathEnabled: false },
          { messengerId: deps.messengerId, request, receivedAt, answerWrite, claim },
        );
        return { statusCode: d.statusCode, body: d.answer, answerWritten: true };
      },
      { handlerClaims: true },
    );
    const a = outcome.body as { result: string; reason?: string };
    count(results, a.result === 'not_confirmed' ? `not_confirmed:${a.reason}` : a.result);
  });
  return { ...run, results };
}

export async function runDirectBatches(
  deps: DirectDeps,
  /** Built by the caller before its clock starts, as the HTTP client builds its own. */
  bodies: readonly BatchIdentificationRequest[],
  concurrency: number,
): Promise<DirectRun> {
  const results: Record<string, number> = {};
  const db = timedDatabase(deps.db, deps.statementMs);
  const run = await runConcurrent(bodies, concurrency, async (batch) => {
    const raw = JSON.stringify(batch);
    const receivedAt = systemClock.now();
    const outcome = await runIdempotent(
      db,
      {
        callerId: deps.messengerId,
        key: `batch:${batch.batchId}`,
        requestHash: hashRequestBody(raw),
      },
      systemClock,
      async (tx) => ({
        statusCode: 200,
        body: await decideBatch(
          tx,
          { ids: deps.ids, hashNumber: deps.hashNumber },
          { messengerId: deps.messengerId, batch, receivedAt },
        ),
      }),
    );
    const body = outcome.body as { results: Array<{ result: string; reason?: string }> };
    for (const r of body.results) {
      count(results, r.result === 'not_confirmed' ? `not_confirmed:${r.reason}` : r.result);
    }
  });
  return { ...run, results };
}
