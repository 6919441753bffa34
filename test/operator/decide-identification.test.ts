import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/verify-audit-log.js';
import { createManualClock } from '../../src/core/clock.js';
import { IdbridgeError } from '../../src/core/errors.js';
import { newId } from '../../src/core/ids.js';
import { createNumberHasher } from '../../src/core/number-hash.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, Queryable } from '../../src/db/port.js';
import { decideBatch } from '../../src/operator/identification/decide-batch.js';
import {
  type DecideDeps,
  decideIdentification,
} from '../../src/operator/identification/decide-identification.js';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import { runIdempotent } from '../../src/partner-records/idempotency-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

const NUMBER = '+79160000001';
const event = (e: Record<string, unknown>) =>
  ({ eventId: newId(), msisdn: NUMBER, ...e }) as SubscriberEvent;
const code = (n: number) => `code-${String(n).padStart(4, '0')}-abcdefgh`;

describeEachDriver('decideIdentification', (kind) => {
  let db: Database;
  // The BSS reports events once they have happened: this node's clock is past the
  // latest of them, or they would be refused as IN_FUTURE.
  const clock = createManualClock('2026-11-28T12:00:00Z');
  const deps: DecideDeps = {
    ids: newId,
    hashNumber: createNumberHasher('a test key of 32 bytes, not real'),
    slowPathEnabled: false,
  };
  const decide = (identificationCode: string, at: string, msisdn = NUMBER) =>
    db.transaction((tx) =>
      decideIdentification(tx, deps, {
        messengerId: 'tamtam',
        receivedAt: new Date(at),
        request: {
          requestId: newId(),
          msisdn,
          identificationCode,
          purpose: 'registration',
          possessionVerifiedAt: at,
        },
      }),
    );

  type BatchItems = Parameters<typeof decideBatch>[2]['batch']['items'];
  const decideBatchIn = (tx: Queryable, items: BatchItems) =>
    decideBatch(
      tx,
      { ids: newId, hashNumber: deps.hashNumber },
      {
        messengerId: 'tamtam',
        receivedAt: new Date('2026-11-28T11:00:00Z'),
        batch: { batchId: newId(), items },
      },
    );

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
    // c-1 from 2020 to 2026-11-28T10:00Z, then c-2 from that instant on.
    const applied = await applySubscriberEvents(
      db,
      [
        event({
          type: 'contract_started',
          contractId: 'c-1',
          occurredAt: '2020-01-01T00:00:00Z',
          subscriberType: 'individual',
          hasSubscriberData: true,
        }),
        event({
          type: 'contract_terminated',
          contractId: 'c-1',
          occurredAt: '2026-11-28T10:00:00Z',
        }),
        event({
          type: 'contract_started',
          contractId: 'c-2',
          occurredAt: '2026-11-28T10:00:00Z',
          subscriberType: 'individual',
          hasSubscriberData: true,
        }),
      ],
      { clock },
    );
    expect(applied.every((r) => r.status === 'applied')).toBe(true);
  });
  afterEach(() => db.close());

  it('decides by the contract valid at receipt: the old one up to its end, the next from that instant (R4)', async () => {
    await decide(code(1), '2026-11-28T09:59:59.999Z');
    await decide(code(2), '2026-11-28T10:00:00.000Z');
    const entries = await listEntriesOfNumber(db, NUMBER);
    expect(entries.map((e) => [e.code, e.contractId])).toEqual([
      [code(1), 'c-1'],
      [code(2), 'c-2'],
    ]);
  });

  it('lets the same code confirm its own open registration again, and refuses it for another contract', async () => {
    const first = await decide(code(1), '2026-11-28T09:00:00Z');
    const again = await decide(code(1), '2026-11-28T09:30:00Z');
    expect([first.answer.result, again.answer.result]).toEqual(['confirmed', 'confirmed']);
    expect(await listEntriesOfNumber(db, NUMBER)).toHaveLength(1);
    // c-1 is over at 10:00: the code names a registration of another contract.
    await expect(decide(code(1), '2026-11-28T11:00:00Z')).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });

  it('leaves one open entry when registrations of the same contract race, every loser a CONFLICT', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => decide(code(10 + i), '2026-11-28T11:00:00Z')),
    );
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(IdbridgeError);
        expect((o.reason as IdbridgeError).code).toBe('CONFLICT');
      } else expect(o.value.answer.result).toBe('confirmed');
    }
    const entries = await listEntriesOfNumber(db, NUMBER);
    expect(entries.filter((e) => e.closedAt === null)).toHaveLength(1);
    // Every confirmation left its entry: the winners after the first replaced one.
    const confirmed = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(entries).toHaveLength(confirmed);
    expect(entries.filter((e) => e.closeReason === 'replaced')).toHaveLength(confirmed - 1);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM identification_requests WHERE state = 'confirmed'",
    );
    expect(rows[0]?.n).toBe(confirmed);
    expect((await verifyAuditLog(db)).ok).toBe(true);
  });

  it('stores the idempotent answer in the decision’s own statement, and a retry replays it', async () => {
    const clock2 = createManualClock('2026-11-28T09:00:00Z');
    const run = (requestId: string, identificationCode: string, msisdn = NUMBER) =>
      runIdempotent(
        db,
        { callerId: 'tamtam', key: requestId, requestHash: `hash-${requestId}` },
        clock2,
        async (tx, answerWrite) => {
          const d = await decideIdentification(tx, deps, {
            messengerId: 'tamtam',
            receivedAt: clock2.now(),
            answerWrite,
            request: {
              requestId,
              msisdn,
              identificationCode,
              purpose: 'registration',
              possessionVerifiedAt: clock2.now().toISOString(),
            },
          });
          return { statusCode: d.statusCode, body: d.answer, answerWritten: true };
        },
      );
    const confirmedId = newId();
    const refusedId = newId();
    const first = [
      await run(confirmedId, code(40)),
      await run(refusedId, code(41), '+79169999998'),
    ];
    const again = [
      await run(confirmedId, code(40)),
      await run(refusedId, code(41), '+79169999998'),
    ];
    expect(first.map((o) => [o.replayed, (o.body as { result: string }).result])).toEqual([
      [false, 'confirmed'],
      [false, 'not_confirmed'],
    ]);
    expect(again).toEqual(first.map((o) => ({ ...o, replayed: true })));
    // A conflict rolls back the key with the decision: the same key may try
    // again. At 11:00 c-2 is valid, and code 40 names c-1's registration.
    clock2.advance(2 * 60 * 60 * 1000);
    const conflictId = newId();
    await expect(run(conflictId, code(40))).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM idempotent_requests WHERE request_key = $1',
      [conflictId],
    );
    expect(rows[0]?.n).toBe(0);
  });

  /**
   * A confirmation and a termination of the same contract at once (R7): the
   * confirmation's transaction is held open after its decision while the
   * termination runs. Whichever order they commit in, the contract must not
   * end with an open entry nobody will be told about: either the termination
   * waits and then closes the new entry with a notice, or it went first and
   * the confirmation sees the contract ended.
   */
  const raceWithTermination = async (decideInTx: (tx: Queryable) => Promise<unknown>) => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let decided = (_pid: number) => {};
    const decidedPid = new Promise<number>((resolve) => {
      decided = resolve;
    });
    const confirming = db.transaction(async (tx) => {
      await decideInTx(tx);
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      decided(rows[0]?.pid ?? 0);
      await gate;
    });
    const pid = await decidedPid;
    let settled = false;
    const terminating = applySubscriberEvents(
      db,
      [
        event({
          type: 'contract_terminated',
          contractId: 'c-2',
          occurredAt: '2026-11-28T12:00:00Z',
        }),
      ],
      // Ending a contract closes its entries and writes their notices in its transaction.
      { clock, ids: newId },
    ).finally(() => {
      settled = true;
    });
    // Let the termination either finish or queue behind the confirmation's locks.
    for (;;) {
      if (settled) break;
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))',
        [pid],
      );
      if ((rows[0]?.n ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    release();
    await confirming;
    expect((await terminating)[0]?.status).toBe('applied');
    const entries = await listEntriesOfNumber(db, NUMBER);
    const { rows: notices } = await db.query<{ code: string }>(
      "SELECT payload->>'identificationCode' AS code FROM outbox WHERE kind = 'notice'",
    );
    return { entries, noticeCodes: notices.map((n) => n.code) };
  };

  // Races need two connections: PGlite has one, where transactions never overlap.
  if (kind === 'postgres') {
    it('never leaves an open entry on a contract a racing termination ended (R7)', async () => {
      const { entries, noticeCodes } = await raceWithTermination((tx) =>
        decideIdentification(tx, deps, {
          messengerId: 'tamtam',
          receivedAt: new Date('2026-11-28T11:00:00Z'),
          request: {
            requestId: newId(),
            msisdn: NUMBER,
            identificationCode: code(40),
            purpose: 'registration',
            possessionVerifiedAt: '2026-11-28T11:00:00Z',
          },
        }),
      );
      expect(entries.filter((e) => e.closedAt === null)).toEqual([]);
      expect(entries.find((e) => e.code === code(40))?.closeReason).toBe('contract_terminated');
      expect(noticeCodes).toEqual([code(40)]);
    });

    it('never leaves an open entry on a contract a racing termination ended, for a batch (R7, R9)', async () => {
      const { entries, noticeCodes } = await raceWithTermination((tx) =>
        decideBatchIn(tx, [
          {
            requestId: newId(),
            msisdn: NUMBER,
            identificationCode: code(41),
            userSince: '2026-11-28',
          },
        ]),
      );
      expect(entries.filter((e) => e.closedAt === null)).toEqual([]);
      expect(entries.find((e) => e.code === code(41))?.closeReason).toBe('contract_terminated');
      expect(noticeCodes).toEqual([code(41)]);
    });
  }

  it('fails a batch whose code is taken with CONFLICT naming the item, confirmed or not, and changes nothing', async () => {
    await decide(code(50), '2026-11-28T11:00:00Z');
    const batchWith = (msisdn: string, requestId: string) =>
      db.transaction((tx) =>
        decideBatchIn(tx, [
          {
            requestId: newId(),
            msisdn: '+79169999998',
            identificationCode: code(51),
            userSince: '2026-11-28',
          },
          { requestId, msisdn, identificationCode: code(50), userSince: '2026-11-28' },
        ]),
      );
    // Not served here: the item opens no entry, its code is probed before writing.
    const notServed = newId();
    await expect(batchWith('+79169999999', notServed)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `identificationCode of item ${notServed} is already registered`,
    });
    // Confirmed: the register's unique index refuses the code as the entry goes in.
    const confirmed = newId();
    await expect(batchWith(NUMBER, confirmed)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `identificationCode of item ${confirmed} is already registered`,
    });
    const entries = await listEntriesOfNumber(db, NUMBER);
    expect(entries.map((e) => [e.code, e.closedAt])).toEqual([[code(50), null]]);
    const { rows } = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM identification_requests WHERE purpose = 'legacy'",
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('audits a batch as one entry with its items in parallel columns, numbers only hashed (R11)', async () => {
    const ids = [newId(), newId()];
    await db.transaction((tx) =>
      decideBatchIn(tx, [
        {
          requestId: ids[0]!,
          msisdn: NUMBER,
          identificationCode: code(60),
          userSince: '2026-11-28',
        },
        {
          requestId: ids[1]!,
          msisdn: '+79169999999',
          identificationCode: code(61),
          userSince: '2026-11-28',
        },
      ]),
    );
    const { rows } = await db.query<{ data: unknown }>(
      "SELECT data FROM audit_entries WHERE kind = 'identification.batch_decided'",
    );
    const entries = await listEntriesOfNumber(db, NUMBER);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.data).toMatchObject({
      messengerId: 'tamtam',
      columns: {
        requestId: ids,
        result: ['confirmed', 'not_confirmed'],
        reason: [null, 'NOT_SERVED'],
        msisdnHash: [deps.hashNumber(NUMBER), deps.hashNumber('+79169999999')],
        code: [code(60), code(61)],
        entryId: [entries.find((e) => e.code === code(60))?.entryId, null],
      },
    });
    expect(JSON.stringify(rows[0]?.data)).not.toContain(NUMBER.slice(1));
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  });

  it('records a refusal with its reason and audits every decision in an intact chain', async () => {
    const unknown = await decide(code(30), '2026-11-28T09:00:00Z', '+79169999999');
    const malformed = await decide(code(31), '2026-11-28T09:00:00Z', '+7916');
    expect(unknown.answer).toMatchObject({ result: 'not_confirmed', reason: 'NOT_SERVED' });
    expect(malformed.answer).toMatchObject({ result: 'not_confirmed', reason: 'NOT_SERVED' });
    await decide(code(32), '2026-11-28T09:00:00Z');
    const audit = await verifyAuditLog(db);
    expect(audit).toMatchObject({ ok: true, entries: 3 });
  });
});
