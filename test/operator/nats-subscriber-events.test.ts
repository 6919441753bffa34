import { randomBytes } from 'node:crypto';
import { AckPolicy, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createLogger, createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { applySubscriberEvents } from '../../src/operator/subscribers/apply-subscriber-events.js';
import type { NatsConsumerConfig } from '../../src/operator/subscribers/nats/nats-config.js';
import {
  type NatsSubscriberEventConsumer,
  startNatsSubscriberEventConsumer,
} from '../../src/operator/subscribers/nats/start-nats-subscriber-event-consumer.js';
import { listContracts } from '../../src/operator/subscribers/subscriber-contract-store.js';
import type { SubscriberEventResult } from '../../src/operator/subscribers/subscriber-event-result.js';
import type { SubscriberEvent } from '../../src/operator/subscribers/subscriber-event-schema.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

// Runs against the NATS server with JetStream on this machine (issue 4).
const NATS_URL = 'nats://127.0.0.1:4222';
const log = process.env.NATS_TEST_DEBUG ? createLogger({ level: 'debug' }) : createSilentLogger();

let seq = 0;
const newEventId = () =>
  `00000000-0000-4000-8000-${(Date.now() * 1000 + ++seq).toString(16).slice(-12).padStart(12, '0')}`;

function started(msisdn: string, contractId: string, occurredAt: string): SubscriberEvent {
  return {
    type: 'contract_started',
    eventId: newEventId(),
    msisdn,
    contractId,
    occurredAt,
    subscriberType: 'individual',
    hasSubscriberData: true,
  };
}

function terminated(msisdn: string, contractId: string, occurredAt: string): SubscriberEvent {
  return { type: 'contract_terminated', eventId: newEventId(), msisdn, contractId, occurredAt };
}

/** Polls until `condition` holds; fails with `what` after the timeout. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000) {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeEachDriver('NATS JetStream subscriber event consumer', (kind) => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let db: Database;
  let config: NatsConsumerConfig;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const consumers: NatsSubscriberEventConsumer[] = [];
  const applied: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(() => nc.close());

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'operator']);
    const tag = randomBytes(5).toString('hex');
    config = {
      enabled: true,
      servers: NATS_URL,
      stream: `TEST_EVENTS_${tag}`,
      subject: `test.${tag}.subscriber-events`,
      durable: `test-operator-${tag}`,
      createStream: true,
      batchSize: 10,
      pullExpiresMs: 1_000,
      ackWaitMs: 2_000,
      maxDeliver: 5,
      retryDelayMs: 50,
      maxRetryDelayMs: 200,
    };
    applied.length = 0;
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
    await jsm.streams.delete(config.stream).catch(() => undefined);
    await db.close();
  });

  /** The real apply on the test database, recording each call's event ids. */
  const realApply = async (events: SubscriberEvent[]): Promise<SubscriberEventResult[]> => {
    const results = await applySubscriberEvents(db, events, { clock, log });
    for (const r of results) if (r.status === 'applied' && !r.duplicate) applied.push(r.eventId);
    return results;
  };

  async function start(
    overrides: Partial<NatsConsumerConfig> = {},
    apply = realApply,
    signal?: AbortSignal,
  ) {
    const consumer = await startNatsSubscriberEventConsumer({
      config: { ...config, ...overrides },
      clock,
      log,
      apply,
      ...(signal ? { signal } : {}),
    });
    consumers.push(consumer);
    return consumer;
  }

  const publish = async (body: unknown, subject = config.subject) => {
    const data = typeof body === 'string' ? body : JSON.stringify(body);
    await jetstream(nc).publish(subject, data);
  };

  const consumerState = () => jsm.consumers.info(config.stream, config.durable);

  it('applies a published event once and acknowledges it', async () => {
    const consumer = await start();
    const event = started('+79161234567', 'c-1', '2026-01-01T00:00:00Z');
    await publish(event);
    await waitFor('the ack', () => consumer.stats().messagesAcked === 1);
    expect((await listContracts(db, '+79161234567')).map((c) => c.contractId)).toEqual(['c-1']);
    expect(applied).toEqual([event.eventId]);
    const state = await consumerState();
    expect(state.num_ack_pending).toBe(0);
    expect(state.num_pending).toBe(0);
    expect(state.ack_floor.stream_seq).toBe(1);
  });

  it('applies an event published twice under one eventId only once', async () => {
    const consumer = await start();
    const event = started('+79161234568', 'c-1', '2026-01-01T00:00:00Z');
    await publish(event);
    await publish(event);
    await waitFor('both acks', () => consumer.stats().messagesAcked === 2);
    expect(consumer.stats()).toMatchObject({ eventsApplied: 1, eventsDuplicate: 1 });
    expect(applied).toEqual([event.eventId]);
    const { rows } = await db.query('SELECT event_id FROM subscriber_events_processed');
    expect(rows).toHaveLength(1);
    expect(await listContracts(db, '+79161234568')).toHaveLength(1);
  });

  it('accepts a batch envelope and applies its events in order', async () => {
    const consumer = await start();
    const batch = [
      started('+79161234569', 'c-1', '2026-01-01T00:00:00Z'),
      terminated('+79161234569', 'c-1', '2026-02-01T00:00:00Z'),
      started('+79161234569', 'c-2', '2026-02-01T00:00:00Z'),
    ];
    await publish({ events: batch });
    await waitFor('the ack', () => consumer.stats().messagesAcked === 1);
    expect(applied).toEqual(batch.map((e) => e.eventId));
    const contracts = await listContracts(db, '+79161234569');
    expect(contracts.map((c) => [c.contractId, c.contractEnd !== null])).toEqual([
      ['c-1', true],
      ['c-2', false],
    ]);
  });

  it('redelivers a message whose apply threw and then applies it', async () => {
    let calls = 0;
    const consumer = await start({}, async (events) => {
      calls += 1;
      if (calls === 1) throw new Error('database unreachable');
      return realApply(events);
    });
    const event = started('+79161234570', 'c-1', '2026-01-01T00:00:00Z');
    await publish(event);
    await waitFor('the ack', () => consumer.stats().messagesAcked === 1);
    expect(calls).toBe(2);
    expect(consumer.stats()).toMatchObject({ applyFailures: 1, messagesReceived: 2 });
    expect(applied).toEqual([event.eventId]);
    expect((await consumerState()).num_ack_pending).toBe(0);
  });

  it('does not let a later event of the number overtake one that failed', async () => {
    let calls = 0;
    const consumer = await start({}, async (events) => {
      calls += 1;
      if (calls === 1) return events.map((e) => failedResult(e.eventId));
      return realApply(events);
    });
    const first = started('+79161234571', 'c-1', '2026-01-01T00:00:00Z');
    const second = terminated('+79161234571', 'c-1', '2026-03-01T00:00:00Z');
    await publish(first);
    await publish(second);
    await waitFor('both acks', () => consumer.stats().messagesAcked === 2);
    expect(applied).toEqual([first.eventId, second.eventId]);
    expect(consumer.stats().eventsRefused).toBe(0);
    const [contract] = await listContracts(db, '+79161234571');
    expect(contract?.contractEnd).toEqual(new Date('2026-03-01T00:00:00Z'));
  });

  it('continues where it stopped when restarted on the same durable, losing and repeating nothing', async () => {
    const number = '+79161234572';
    const events: SubscriberEvent[] = [];
    for (let i = 0; i < 6; i++) {
      const from = `2026-0${i + 1}-01T00:00:00Z`;
      events.push(started(number, `c-${i}`, from));
      events.push(terminated(number, `c-${i}`, `2026-0${i + 1}-15T00:00:00Z`));
    }
    // The stream exists before the consumer (the BSS owns it): required, not created.
    await jsm.streams.add({ name: config.stream, subjects: [config.subject] });
    for (const e of events) await publish(e);

    const stopFirst = new AbortController();
    const first = await start(
      { batchSize: 5, createStream: false },
      async (batch) => {
        const results = await realApply(batch);
        if (applied.length === 4) stopFirst.abort(); // mid-stream, mid-pull
        return results;
      },
      stopFirst.signal,
    );
    await first.done;
    expect(applied).toHaveLength(4);
    expect(first.stats().messagesAcked).toBe(4);
    // The 5th message of that pull was delivered but not applied: given back.
    expect(first.stats().messagesDeferred).toBe(1);

    const second = await start({ batchSize: 5 });
    await waitFor('the rest', () => applied.length === events.length);
    await waitFor('the last ack', () => second.stats().messagesAcked === events.length - 4);
    expect(applied).toEqual(events.map((e) => e.eventId));
    expect(first.stats().eventsDuplicate + second.stats().eventsDuplicate).toBe(0);
    expect(second.stats().eventsRefused).toBe(0);
    expect(await listContracts(db, number)).toHaveLength(6);
    expect((await consumerState()).num_pending).toBe(0);
  });

  it('terminates an invalid message and goes on with the next ones', async () => {
    const consumer = await start();
    await publish('{"type": "contract_started",');
    await publish({ type: 'contract_started', eventId: 'nope' });
    const valid = started('+79161234573', 'c-1', '2026-01-01T00:00:00Z');
    await publish(valid);
    await waitFor('the ack', () => consumer.stats().messagesAcked === 1);
    expect(consumer.stats()).toMatchObject({ messagesInvalid: 2, messagesReceived: 3 });
    expect(applied).toEqual([valid.eventId]);
    const state = await consumerState();
    expect(state.num_ack_pending).toBe(0);
    expect(state.num_redelivered).toBe(0);
  });

  it('terminates an event whose date names no real day, applying nothing of it (R9, I1)', async () => {
    const consumer = await start();
    await publish(started('+79161234574', 'c-2', '2026-02-30T00:00:00Z'));
    await publish({
      ...started('+79161234575', 'c-3', '2026-01-01T00:00:00Z'),
      contractStart: '2020-04-31',
    });
    const valid = started('+79161234576', 'c-4', '2026-01-01T00:00:00Z');
    await publish(valid);
    await waitFor('the ack', () => consumer.stats().messagesAcked === 1);
    expect(consumer.stats()).toMatchObject({ messagesInvalid: 2, messagesReceived: 3 });
    expect(applied).toEqual([valid.eventId]);
  });

  it('dead-letters a message that fails maxDeliver times and then goes on', async () => {
    const deadLetterSubject = `${config.subject}.dead`;
    const poison = started('+79161234574', 'c-1', '2026-01-01T00:00:00Z');
    const consumer = await start({ maxDeliver: 2, deadLetterSubject }, async (events) => {
      if (events.some((e) => e.eventId === poison.eventId)) throw new Error('hook bug');
      return realApply(events);
    });
    await publish(poison);
    const next = started('+79161234575', 'c-1', '2026-01-01T00:00:00Z');
    await publish(next);
    await waitFor('the next ack', () => consumer.stats().messagesAcked === 1);
    expect(consumer.stats()).toMatchObject({ applyFailures: 2, messagesGivenUp: 1 });
    expect(applied).toEqual([next.eventId]);
    const dead = await jsm.streams.getMessage(config.stream, { last_by_subj: deadLetterSubject });
    expect(dead?.json()).toEqual(poison);
    expect(dead?.header.get('Idbridge-Deliveries')).toBe('2');
    expect(dead?.header.get('Idbridge-Source-Sequence')).toBe('1');
  });

  it('brings an existing durable to the configured ack wait and explicit acks', async () => {
    await jsm.streams.add({ name: config.stream, subjects: [config.subject] });
    await jsm.consumers.add(config.stream, {
      durable_name: config.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(60_000),
      max_deliver: 3,
    });
    await start({ createStream: false, ackWaitMs: 2_000 });
    const { config: current } = await consumerState();
    expect(current).toMatchObject({ ack_wait: nanos(2_000), max_deliver: -1 });
    expect(current.filter_subject).toBe(config.subject);
  });

  it('refuses to start on a durable that acks nothing', async () => {
    await jsm.streams.add({ name: config.stream, subjects: [config.subject] });
    await jsm.consumers.add(config.stream, {
      durable_name: config.durable,
      ack_policy: AckPolicy.None,
    });
    await expect(start({ createStream: false })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses to start when the stream is missing and may not be created', async () => {
    await expect(start({ createStream: false })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

function failedResult(eventId: string): SubscriberEventResult {
  return { eventId, status: 'failed', duplicate: false, code: 'APPLY_FAILED', message: 'retry' };
}
