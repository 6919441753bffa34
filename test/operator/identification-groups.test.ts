import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verify-audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { IdbridgeError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { createNumberHasher } from '../../src/core/number-hash.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, Queryable } from '../../src/db/port.js';
import type { GroupedRequest } from '../../src/operator/identification/decide-identification-group.js';
import {
  createIdentify,
  type Identify,
} from '../../src/operator/identification/identify-requests.js';
import { registerIdentifyMetrics } from '../../src/operator/operator-metrics.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import {
  createTestDatabase,
  describeEachDriver,
  describePostgresOnly,
} from '../helpers/test-database.js';

const T0 = '2026-11-28T09:00:00.000Z';
const num = (n: number) => `+7916000${String(n).padStart(4, '0')}`;
const code = (n: number) => `code-${String(n).padStart(4, '0')}-abcdefgh`;
const NO_DATA = 900;
const BSS = 901;
const UNKNOWN = 999;

function started(n: number, extra: Partial<Record<string, unknown>> = {}): SubscriberEvent {
  return {
    eventId: newId(),
    type: 'contract_started',
    msisdn: num(n),
    contractId: `c-${n}`,
    occurredAt: '2020-01-01T00:00:00Z',
    subscriberType: 'individual',
    hasSubscriberData: true,
    ...extra,
  } as SubscriberEvent;
}

/** A subscriber base of numbers 1–40, one without subscriber data, one for the BSS check. */
async function operatorDatabase(kind: Parameters<typeof createTestDatabase>[0]): Promise<Database> {
  const db = await createTestDatabase(kind);
  await migrate(db, ['shared', 'operator']);
  const events = [
    ...Array.from({ length: 40 }, (_, i) => started(i + 1)),
    started(NO_DATA, { hasSubscriberData: false }),
    started(BSS, { needsBssCheck: true }),
  ];
  const applied = await applySubscriberEvents(db, events, { clock: createManualClock(T0) });
  expect(applied.every((r) => r.status === 'applied')).toBe(true);
  return db;
}

const request = (
  n: number,
  c: number,
  extra: { requestId?: string; messengerId?: string; hash?: string } = {},
): GroupedRequest => {
  const requestId = extra.requestId ?? newId();
  return {
    messengerId: extra.messengerId ?? 'tamtam',
    request: {
      requestId,
      msisdn: num(n),
      identificationCode: code(c),
      purpose: 'registration',
      possessionVerifiedAt: T0,
    },
    requestHash: extra.hash ?? `body-of-${requestId}`,
    receivedAt: new Date(T0),
  };
};

/** Each request's answer: status and body, or the error code it was refused with. */
async function answersOf(identify: Identify, requests: readonly GroupedRequest[]) {
  const settled = await Promise.allSettled(requests.map((r) => identify(r)));
  return settled.map((s) =>
    s.status === 'fulfilled'
      ? { status: s.value.statusCode, replayed: s.value.replayed, body: s.value.body }
      : { error: s.reason instanceof IdbridgeError ? s.reason.code : String(s.reason) },
  );
}

/** What the decisions left in the database, without generated ids. */
async function stateOf(db: Queryable) {
  const entries = await db.query(
    `SELECT messenger_id, code, msisdn::text, contract_id, request_id, opened_at, closed_at, close_reason
       FROM register_entries ORDER BY code`,
  );
  const requests = await db.query(
    `SELECT r.messenger_id, r.request_id, r.msisdn_hash, r.code, r.purpose, r.received_at, r.answer_by,
            r.state, r.reason, r.answered_at, r.decided_by, e.code AS entry_code
       FROM identification_requests r LEFT JOIN register_entries e ON e.entry_id = r.entry_id
      ORDER BY r.request_id`,
  );
  const answers = await db.query(
    `SELECT caller_id, request_key, request_hash, status_code, response_body
       FROM idempotent_requests ORDER BY request_key`,
  );
  const pending = await db.query(
    'SELECT messenger_id, request_id, msisdn::text, contract_id FROM pending_identifications',
  );
  return {
    entries: entries.rows,
    requests: requests.rows,
    answers: answers.rows,
    pending: pending.rows,
  };
}

describeEachDriver('single identifications decided in groups', (kind) => {
  let db: Database;
  const deps = {
    ids: newId,
    hashNumber: createNumberHasher('a test key of 32 bytes, not real'),
    slowPathEnabled: true,
  };
  const identifyOn = (on: Database, maxGroupSize: number): Identify =>
    createIdentify({
      db: on,
      clock: createManualClock(T0),
      log: createSilentLogger(),
      deps,
      maxGroupSize,
      // One at a time: the first request is decided alone, the rest queue
      // behind it and form the groups.
      maxInFlight: 1,
    });

  beforeEach(async () => {
    db = await operatorDatabase(kind);
  });
  afterEach(async () => {
    await db.close();
  });

  /**
   * Requests that exercise every branch, submitted at once. `before` is run
   * first, one by one, to set up registrations and answers the others meet.
   */
  const scenario = () => {
    const retried = request(3, 3);
    const reusedKey = request(4, 4);
    const before = [request(1, 1), request(2, 2), retried, reusedKey];
    const burst = [
      request(10, 10), // confirmed, new entry
      request(11, 11),
      request(NO_DATA, 12), // not_confirmed NO_SUBSCRIBER_DATA
      request(UNKNOWN, 13), // not_confirmed NOT_SERVED
      request(12, 1), // code 1 names number 1's entry: CONFLICT
      request(1, 1), // number 1's own open entry asked again: confirmed, entry stands
      request(2, 14), // number 2 under a new code: replaces its entry
      retried, // a retry: the stored answer
      { ...request(5, 5, { requestId: reusedKey.request.requestId }), requestHash: 'another body' }, // CONFLICT
      request(BSS, 15), // slow path: 202 pending
      request(13, 16), // two requests for one number: the later decided after the group
      request(13, 17),
      request(14, 18, { messengerId: 'other' }), // another messenger in the same group
      request(15, 18), // the same code for two messengers: both confirmed
    ];
    return { before, burst };
  };

  const run = async (identify: Identify, on: Database) => {
    const { before, burst } = scenario();
    for (const r of before) await identify(r);
    const answers = await answersOf(identify, burst);
    return { burst, answers, state: await stateOf(on) };
  };

  it('answers every kind of request as it would alone, and leaves the same records (R4, R5, I3)', async () => {
    const grouped = identifyOn(db, 64);
    const { burst, answers, state } = await run(grouped, db);
    // 4 set-up requests and the burst's first alone; 7 of the other 13 in
    // one group; the 6 the group leaves alone after it.
    expect(grouped.stats()).toEqual({ groups: 1, grouped: 7, alone: 11, fallbacks: 0 });

    const result = (a: (typeof answers)[number]) =>
      'error' in a
        ? a.error
        : `${a.status} ${(a.body as { result: string; reason?: string }).result}${
            a.replayed ? ' replayed' : ''
          }${(a.body as { reason?: string }).reason ? ` ${(a.body as { reason: string }).reason}` : ''}`;
    expect(answers.map(result)).toEqual([
      '200 confirmed',
      '200 confirmed',
      '200 not_confirmed NO_SUBSCRIBER_DATA',
      '200 not_confirmed NOT_SERVED',
      'CONFLICT',
      '200 confirmed',
      '200 confirmed',
      '200 confirmed replayed',
      'CONFLICT',
      '202 pending',
      '200 confirmed',
      '200 confirmed',
      '200 confirmed',
      '200 confirmed',
    ]);
    // A request refused with CONFLICT leaves no key behind: its retry is decided afresh.
    const keys = new Set(state.answers.map((a) => (a as { request_key: string }).request_key));
    expect(keys.has(burst[4]?.request.requestId ?? '')).toBe(false);
    expect(keys.size).toBe(4 + burst.length - 3); // before + burst, less the refused and the retry
    // Number 13 asked twice: the later code replaced the earlier one.
    const open13 = state.entries.filter(
      (e) => (e as { msisdn: string }).msisdn === num(13).slice(1),
    ) as Array<{ code: string; closed_at: Date | null; close_reason: string | null }>;
    expect(open13.map((e) => [e.code, e.close_reason])).toEqual([
      [code(16), 'replaced'],
      [code(17), null],
    ]);

    // The same requests decided one by one, on a database of their own.
    const aloneDb = await operatorDatabase(kind);
    try {
      const alone = identifyOn(aloneDb, 1);
      const one = await run(alone, aloneDb);
      expect(alone.stats()).toMatchObject({ groups: 0, grouped: 0 });
      expect(one.answers.map(result)).toEqual(answers.map(result));
      // Request ids (and the test's body hashes made of them) differ between
      // the runs; compare everything else.
      const withoutIds = (s: typeof state) =>
        JSON.parse(
          JSON.stringify(s, (key, value) =>
            ['request_id', 'request_key', 'requestId', 'request_hash'].includes(key)
              ? undefined
              : value,
          ),
        ) as unknown;
      const sorted = (s: typeof state) => {
        const plain = withoutIds(s) as Record<string, Array<Record<string, unknown>>>;
        for (const rows of Object.values(plain))
          rows.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
        return plain;
      };
      expect(sorted(state)).toEqual(sorted(one.state));
    } finally {
      await aloneDb.close();
    }
  });

  it('audits the group as one entry with its requests in parallel columns, in an intact chain', async () => {
    const grouped = identifyOn(db, 64);
    await answersOf(grouped, [request(1, 1), request(2, 2), request(3, 3), request(NO_DATA, 4)]);
    const { rows } = await db.query<{ data: { columns: Record<string, unknown[]> } }>(
      `SELECT data FROM audit_entries WHERE kind = 'identification.group_decided'`,
    );
    expect(rows).toHaveLength(1);
    const columns = rows[0]?.data.columns ?? {};
    expect(columns.code).toEqual([code(2), code(3), code(4)]);
    expect(columns.result).toEqual(['confirmed', 'confirmed', 'not_confirmed']);
    expect(columns.reason).toEqual([null, null, 'NO_SUBSCRIBER_DATA']);
    // R11: numbers only as keyed hashes.
    expect(JSON.stringify(columns)).not.toContain(num(2).slice(1));
    expect(columns.msisdnHash).toEqual([num(2), num(3), num(NO_DATA)].map(deps.hashNumber));
    const report = await verifyAuditLog(db);
    expect(report.ok).toBe(true);
  });

  it('decides each request alone when nothing queues (no group of one)', async () => {
    const grouped = identifyOn(db, 64);
    for (const n of [1, 2, 3]) await grouped(request(n, n));
    expect(grouped.stats()).toEqual({ groups: 0, grouped: 0, alone: 3, fallbacks: 0 });
  });

  it('caps a group at its configured size', async () => {
    const grouped = createIdentify({
      db,
      clock: createManualClock(T0),
      log: createSilentLogger(),
      deps,
      maxGroupSize: 4,
      maxInFlight: 1,
    });
    const answers = await answersOf(
      grouped,
      Array.from({ length: 13 }, (_, i) => request(i + 1, i + 1)),
    );
    expect(answers.every((a) => 'status' in a && a.status === 200)).toBe(true);
    // 1 alone, then 12 queued: 3 groups of 4.
    expect(grouped.stats()).toEqual({ groups: 3, grouped: 12, alone: 1, fallbacks: 0 });
    const registry = new Registry();
    registerIdentifyMetrics(registry, grouped.stats);
    const text = await registry.metrics();
    expect(text).toContain('idbridge_operator_single_identifications_total{how="group"} 12');
    expect(text).toContain('idbridge_operator_single_identifications_total{how="alone"} 1');
    expect(text).toContain('idbridge_operator_single_identifications_total{how="group_failed"} 0');
  });
});

// A racing transaction needs a second connection: PostgreSQL only.
describePostgresOnly('a group that loses a race', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await operatorDatabase(kind);
  });
  afterEach(async () => {
    await db.close();
  });

  it('is rolled back whole and each request decided alone: only the raced one gets CONFLICT', async () => {
    if (!db.openHeldTransaction) throw new Error('the PostgreSQL driver holds transactions');
    const identify = createIdentify({
      db,
      clock: createManualClock(T0),
      log: createSilentLogger(),
      deps: {
        ids: newId,
        hashNumber: createNumberHasher('a test key of 32 bytes, not real'),
        slowPathEnabled: false,
      },
      maxGroupSize: 64,
      maxInFlight: 1,
    });
    // Another transaction registers code 22 for number 30, not yet committed:
    // the group does not see it, and its INSERT waits on the unique index.
    const racer = await db.openHeldTransaction({ idleTimeoutMs: 30_000 });
    await racer.query(
      `INSERT INTO register_entries (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
       VALUES ($1, 'tamtam', $2, $3, 'c-30', $4, $5)`,
      [newId(), code(22), num(30).slice(1), newId(), T0],
    );
    const racerPid = (await racer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
      ?.pid;
    const burst = [request(20, 20), request(21, 21), request(22, 22), request(23, 23)];
    const settled = answersOf(identify, burst);
    // Wait until the group's write is blocked by the racer, then commit it.
    for (let i = 0; ; i++) {
      const { rows } = await db.query(
        'SELECT 1 FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
        [racerPid],
      );
      if (rows.length > 0) break;
      if (i > 400) throw new Error('the group never waited for the racing transaction');
      await new Promise((r) => setTimeout(r, 25));
    }
    await racer.commit();
    const answers = await settled;
    expect(answers.map((a) => ('error' in a ? a.error : a.status))).toEqual([
      200,
      200,
      'CONFLICT',
      200,
    ]);
    expect(identify.stats()).toMatchObject({ groups: 0, fallbacks: 1, alone: 4 });
    const { rows } = await db.query<{ code: string }>(
      `SELECT code FROM register_entries WHERE messenger_id = 'tamtam' ORDER BY code`,
    );
    expect(rows.map((r) => r.code)).toEqual([code(20), code(21), code(22), code(23)]);
    const keys = await db.query('SELECT 1 FROM idempotent_requests');
    expect(keys.rows).toHaveLength(3);
  });
});
