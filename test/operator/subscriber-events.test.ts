import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import {
  listEntriesOfNumber,
  openRegisterEntry,
} from '../../src/operator/register/register-store.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import {
  findValidContract,
  listContracts,
} from '../../src/operator/subscribers/subscriber-contract-store.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import { inspectOutbox } from '../../src/outbox/outbox-ops-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

const NUMBER = '+79161234567';
let seq = 0;
const eventId = () => `00000000-0000-4000-8000-${(++seq).toString(16).padStart(12, '0')}`;

function started(
  contractId: string,
  occurredAt: string,
  extra: Partial<Extract<SubscriberEvent, { type: 'contract_started' }>> = {},
): SubscriberEvent {
  return {
    type: 'contract_started',
    eventId: eventId(),
    msisdn: NUMBER,
    contractId,
    occurredAt,
    subscriberType: 'individual',
    hasSubscriberData: true,
    ...extra,
  };
}

function ended(
  type: 'contract_terminated' | 'number_ported_out',
  contractId: string,
  occurredAt: string,
  msisdn = NUMBER,
): SubscriberEvent {
  return { type, eventId: eventId(), msisdn, contractId, occurredAt };
}

describeEachDriver('subscriber events', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
  });
  afterEach(() => db.close());

  const contractRows = async () =>
    (await db.query('SELECT * FROM subscriber_contracts ORDER BY contract_start')).rows;

  it('keeps a history of contracts with exactly one valid at each instant', async () => {
    const results = await applySubscriberEvents(
      db,
      [
        started('c-1', '2020-01-01T00:00:00Z'),
        ended('contract_terminated', 'c-1', '2022-06-01T00:00:00Z'),
        started('c-2', '2022-06-01T00:00:00Z', { subscriberType: 'corporate' }),
      ],
      { clock },
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect((await listContracts(db, NUMBER)).map((c) => [c.contractId, c.contractEnd])).toEqual([
      ['c-1', new Date('2022-06-01T00:00:00Z')],
      ['c-2', null],
    ]);
    const at = async (t: string) => (await findValidContract(db, NUMBER, new Date(t)))?.contractId;
    expect(await at('2019-12-31T23:59:59Z')).toBeUndefined();
    expect(await at('2021-01-01T00:00:00Z')).toBe('c-1');
    // Half-open periods: at the changeover instant only the new contract is valid.
    expect(await at('2022-06-01T00:00:00Z')).toBe('c-2');
    expect(await at('2026-01-01T00:00:00Z')).toBe('c-2');
  });

  it('starts a contract with the given subscriber type, data flag and start', async () => {
    await applySubscriberEvents(
      db,
      [
        started('c-1', '2026-11-28T08:00:00Z', {
          subscriberType: 'corporate',
          hasSubscriberData: false,
          contractStart: '2026-11-27T00:00:00Z',
          needsBssCheck: true,
        }),
      ],
      { clock },
    );
    expect(await findValidContract(db, NUMBER, new Date('2026-11-27T12:00:00Z'))).toEqual({
      msisdn: NUMBER,
      contractId: 'c-1',
      subscriberType: 'corporate',
      hasSubscriberData: false,
      contractStart: new Date('2026-11-27T00:00:00Z'),
      contractEnd: null,
      endReason: null,
      needsBssCheck: true,
    });
  });

  /** A messenger's open registration on a contract, as a confirmation leaves it. */
  const register = (contractId: string, msisdn = NUMBER) =>
    db.transaction((tx) =>
      openRegisterEntry(tx, {
        entryId: newId(),
        messengerId: 'tamtam',
        code: `code-${contractId}-000000000000`,
        msisdn,
        contractId,
        requestId: newId(),
        at: clock.now(),
      }),
    );
  const notices = async () =>
    (await inspectOutbox(db, { includePayload: true }))
      .filter((r) => r.kind === 'notice')
      .map((r) => {
        const p = r.payload as { type: string; identificationCode: string; occurredAt: string };
        return [p.type, p.identificationCode, p.occurredAt];
      })
      .sort();

  it('ends contracts on termination and port-out, and writes their notices in the same transaction (R7)', async () => {
    const other = '+79169990000';
    await applySubscriberEvents(
      db,
      [
        started('c-1', '2020-01-01T00:00:00Z'),
        { ...started('c-9', '2020-01-01T00:00:00Z'), msisdn: other },
      ],
      { clock },
    );
    await register('c-1');
    await register('c-9', other);
    const results = await applySubscriberEvents(
      db,
      [
        ended('contract_terminated', 'c-1', '2026-11-28T08:00:00Z'),
        ended('number_ported_out', 'c-9', '2026-11-28T08:30:00Z', other),
      ],
      { clock },
    );
    expect(results.map((r) => [r.status, r.endedContractIds])).toEqual([
      ['applied', ['c-1']],
      ['applied', ['c-9']],
    ]);
    expect(await notices()).toEqual([
      ['contract_terminated', 'code-c-1-000000000000', '2026-11-28T08:00:00.000Z'],
      ['number_ported_out', 'code-c-9-000000000000', '2026-11-28T08:30:00.000Z'],
    ]);
    expect((await listEntriesOfNumber(db, NUMBER)).map((e) => e.closeReason)).toEqual([
      'contract_terminated',
    ]);
    expect((await listContracts(db, other))[0]?.endReason).toBe('ported_out');
    expect((await listContracts(db, NUMBER))[0]?.endReason).toBe('terminated');
  });

  it('rolls back the event when its notices cannot be written, and fails later events of that number', async () => {
    await applySubscriberEvents(db, [started('c-1', '2020-01-01T00:00:00Z')], { clock });
    await register('c-1');
    const before = await contractRows();
    const terminate = ended('contract_terminated', 'c-1', '2026-11-28T08:00:00Z');
    const restart = started('c-2', '2026-11-28T08:10:00Z');
    // The outbox is out of reach: the notice writer's INSERT fails inside the event's transaction.
    await db.exec('ALTER TABLE outbox RENAME TO outbox_away');
    const results = await applySubscriberEvents(db, [terminate, restart], { clock });
    await db.exec('ALTER TABLE outbox_away RENAME TO outbox');
    expect(results.map((r) => [r.status, r.code])).toEqual([
      ['failed', 'APPLY_FAILED'],
      ['failed', 'PREVIOUS_EVENT_FAILED'],
    ]);
    expect(await contractRows()).toEqual(before);
    expect((await listEntriesOfNumber(db, NUMBER))[0]?.closeReason).toBeNull();
    // Not recorded: a retry with the same eventId is applied, with its notice.
    const retry = await applySubscriberEvents(db, [terminate], { clock });
    expect(retry[0]?.status).toBe('applied');
    expect(await notices()).toHaveLength(1);
  });

  it('applies subscriber_changed to the open contract and notifies its messengers', async () => {
    await applySubscriberEvents(db, [started('c-1', '2020-01-01T00:00:00Z')], { clock });
    await register('c-1');
    const results = await applySubscriberEvents(
      db,
      [
        {
          type: 'subscriber_changed',
          eventId: eventId(),
          msisdn: NUMBER,
          contractId: 'c-1',
          occurredAt: '2026-11-28T08:00:00Z',
          hasSubscriberData: false,
        },
      ],
      { clock },
    );
    expect(results[0]?.status).toBe('applied');
    expect(await notices()).toEqual([
      ['subscriber_changed', 'code-c-1-000000000000', '2026-11-28T08:00:00.000Z'],
    ]);
    const now = await findValidContract(db, NUMBER, new Date('2026-11-28T09:00:00Z'));
    expect([now?.hasSubscriberData, now?.subscriberType]).toEqual([false, 'individual']);
  });

  it('answers a repeated eventId with the first result and changes nothing', async () => {
    const start = started('c-1', '2020-01-01T00:00:00Z');
    const first = await applySubscriberEvents(db, [start], { clock });
    const terminate = ended('contract_terminated', 'c-1', '2024-01-01T00:00:00Z');
    await applySubscriberEvents(db, [terminate], { clock });
    const before = await contractRows();
    const again = await applySubscriberEvents(db, [start, terminate], { clock });
    expect(first[0]).toEqual({ eventId: start.eventId, status: 'applied', duplicate: false });
    expect(again).toEqual([
      { eventId: start.eventId, status: 'applied', duplicate: true },
      {
        eventId: terminate.eventId,
        status: 'applied',
        duplicate: true,
        endedContractIds: ['c-1'],
      },
    ]);
    expect(await contractRows()).toEqual(before);
  });

  it('applies the events of one number in occurredAt order whatever the batch order', async () => {
    const results = await applySubscriberEvents(
      db,
      [
        started('c-2', '2022-06-01T00:00:01Z'),
        ended('contract_terminated', 'c-1', '2022-06-01T00:00:00Z'),
        started('c-1', '2020-01-01T00:00:00Z'),
      ],
      { clock },
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect((await findValidContract(db, NUMBER, new Date('2023-01-01Z')))?.contractId).toBe('c-2');
  });

  it('refuses an event older than the last applied one for the number', async () => {
    await applySubscriberEvents(
      db,
      [
        started('c-1', '2020-01-01T00:00:00Z'),
        ended('contract_terminated', 'c-1', '2024-01-01T00:00:00Z'),
      ],
      { clock },
    );
    const before = await contractRows();
    const late = started('c-0', '2023-01-01T00:00:00Z', { contractStart: '2024-02-01T00:00:00Z' });
    const [result] = await applySubscriberEvents(db, [late], { clock });
    expect(result).toMatchObject({ status: 'refused', code: 'OUT_OF_ORDER', duplicate: false });
    expect(await contractRows()).toEqual(before);
    // Another number is not affected by this number's order.
    const [elsewhere] = await applySubscriberEvents(
      db,
      [{ ...started('c-5', '2021-01-01T00:00:00Z'), msisdn: '+79160000001' }],
      { clock },
    );
    expect(elsewhere?.status).toBe('applied');
  });

  it.each([
    {
      title: 'terminating an unknown contract',
      event: () => ended('contract_terminated', 'nope', '2026-01-01T00:00:00Z'),
      code: 'UNKNOWN_CONTRACT',
    },
    {
      title: 'terminating a contract that has ended',
      event: () => ended('number_ported_out', 'c-0', '2026-01-01T00:00:00Z'),
      code: 'CONTRACT_NOT_OPEN',
    },
    {
      title: 'starting a contract while another is open',
      event: () => started('c-2', '2026-01-01T00:00:00Z'),
      code: 'CONTRACT_ALREADY_OPEN',
    },
    {
      title: 'starting a contract that exists',
      event: () => started('c-1', '2026-01-01T00:00:00Z'),
      code: 'CONTRACT_EXISTS',
    },
    {
      title: 'starting a contract inside an ended one',
      event: () =>
        started('c-3', '2026-01-01T00:00:00Z', { contractStart: '2018-06-01T00:00:00Z' }),
      code: 'CONTRACT_OVERLAP',
    },
    {
      title: 'changing an ended contract',
      event: (): SubscriberEvent => ({
        type: 'subscriber_changed',
        eventId: eventId(),
        msisdn: NUMBER,
        contractId: 'c-0',
        occurredAt: '2026-01-01T00:00:00Z',
      }),
      code: 'CONTRACT_NOT_OPEN',
    },
    {
      title: 'ending a contract before it began',
      event: (): SubscriberEvent => ({
        type: 'contract_terminated',
        eventId: eventId(),
        msisdn: NUMBER,
        contractId: 'c-1',
        occurredAt: '2026-01-01T00:00:00Z',
        contractEnd: '2019-01-01T00:00:00Z',
      }),
      code: 'INVALID_EVENT',
    },
  ])(
    'refuses $title with $code, changes nothing, and answers a replay the same',
    async ({ event, code }) => {
      await applySubscriberEvents(
        db,
        [
          started('c-0', '2018-01-01T00:00:00Z'),
          ended('contract_terminated', 'c-0', '2019-01-01T00:00:00Z'),
          started('c-1', '2020-01-01T00:00:00Z'),
        ],
        { clock },
      );
      await register('c-1');
      const before = await contractRows();
      const e = event();
      const [result] = await applySubscriberEvents(db, [e], { clock });
      expect(result).toMatchObject({ eventId: e.eventId, status: 'refused', code });
      expect(result?.message).toMatch(/\w/);
      expect(await contractRows()).toEqual(before);
      expect(await notices()).toEqual([]);
      const [replay] = await applySubscriberEvents(db, [e], { clock });
      expect(replay).toEqual({ ...result, duplicate: true });
    },
  );

  it.each([
    ['+7916555000', /not a valid phone number/],
    ['+74951234567', /not a Russian mobile number/],
  ])('refuses an event for %s by the one number rule, changing nothing', async (msisdn, reason) => {
    const before = await contractRows();
    const event = { ...started('c-9', '2020-01-01T00:00:00Z'), msisdn };
    const [result] = await applySubscriberEvents(db, [event], { clock });
    expect(result).toMatchObject({ status: 'refused', code: 'INVALID_EVENT' });
    expect(result?.message).toMatch(reason);
    expect(await contractRows()).toEqual(before);
  });

  it('applies concurrent deliveries of one event exactly once', async () => {
    await applySubscriberEvents(db, [started('c-1', '2020-01-01T00:00:00Z')], { clock });
    await register('c-1');
    const terminate = ended('contract_terminated', 'c-1', '2026-01-01T00:00:00Z');
    const options = { clock };
    const results = await Promise.all([
      applySubscriberEvents(db, [terminate], options),
      applySubscriberEvents(db, [terminate], options),
      applySubscriberEvents(db, [terminate], options),
    ]);
    expect(
      results
        .flat()
        .map((r) => [r.status, r.duplicate])
        .sort(),
    ).toEqual([
      ['applied', false],
      ['applied', true],
      ['applied', true],
    ]);
    expect(await notices()).toHaveLength(1);
  });
});
