import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createSilentLogger } from '../../src/core/logger.js';
import type { User } from '../../src/messenger/users/user-store.js';
import {
  createMessengerWebhooks,
  createUserChangesWebhookWriter,
  createUserChangeWebhookWriter,
  createWebhookTransport,
  enqueueWebhook,
  type NewWebhook,
  verifyWebhook,
  WEBHOOK_OUTBOX_KIND,
  WEBHOOK_PARTNER_ID,
} from '../../src/messenger/webhooks/index.js';
import { inspectOutbox } from '../../src/outbox/outbox-ops-store.js';
import type { ClaimedBatch, OutboxRow } from '../../src/outbox/outbox-types.js';
import { createOutboxWorker } from '../../src/outbox/outbox-worker.js';
import { describeEachDriver } from '../helpers/test-database.js';
import { createOutboxFixture, type OutboxFixture, T0 } from '../outbox/outbox-fixture.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A stand-in for the messenger's backend: records every request and answers
 * with the next scripted status (200 once the script is used up); `hang`
 * leaves the request unanswered.
 */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  script: Array<number | 'hang'>;
  onRequest?: () => void;
  close(): Promise<void>;
}> {
  const state = {
    received: [] as Received[],
    script: [] as Array<number | 'hang'>,
    onRequest: undefined as (() => void) | undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received.push({
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      state.onRequest?.();
      const next = state.script.shift() ?? 200;
      if (next === 'hang') return;
      res.writeHead(next, { 'content-type': 'text/plain' }).end(`status ${next}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/idbridge/webhooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

const identified = (userId: string, cause = 'confirmed'): NewWebhook => ({
  type: 'user.identified',
  occurredAt: new Date(T0),
  dedupeKey: `test:${userId}:identified`,
  data: {
    userId,
    state: 'identified',
    maySend: true,
    cause,
    operatorId: 'mts',
    identifiedAt: T0,
    suspendedAt: null,
    graceUntil: null,
  },
});

function user(state: User['state']): User {
  return {
    userId: 'u-42',
    msisdn: '+79161234567',
    state,
    identificationCode: 'c0de-42',
    operatorId: 'megafon',
    identifiedAt: new Date(T0),
    suspendedAt: state === 'suspended' ? new Date(T0) : null,
    graceUntil: state === 'suspended' ? new Date('2026-12-05T09:00:00.000Z') : null,
    createdAt: new Date(T0),
    updatedAt: new Date(T0),
  };
}

describeEachDriver('messenger webhooks through the outbox', (kind) => {
  let f: OutboxFixture;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stop: AbortController;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    receiver = await startReceiver();
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await receiver.close();
    await f.db.close();
  });

  const enqueue = (webhook: NewWebhook) =>
    f.db.transaction((tx) => enqueueWebhook(tx, webhook, { now: f.clock.now(), newId: f.newId }));
  const worker = () =>
    createOutboxWorker({
      db: f.db,
      clock: f.clock,
      log: createSilentLogger(),
      workerId: 'w1',
      deliver: createWebhookTransport({
        url: receiver.url,
        secret: SECRET,
        timeoutMs: 5_000,
        clock: f.clock,
      }),
      signal: stop.signal,
    });
  const webhookRows = (): Promise<OutboxRow[]> =>
    Promise.all(
      (['pending', 'delivered', 'rejected'] as const).map((state) =>
        inspectOutbox(f.db, { state, kind: WEBHOOK_OUTBOX_KIND, includePayload: true }),
      ),
    ).then((lists) => lists.flat());
  const verified = (r: Received) =>
    verifyWebhook({ secret: SECRET, headers: r.headers, body: r.body, now: f.clock.now() });

  it('leaves nothing behind when the enqueueing transaction rolls back', async () => {
    await expect(
      f.db.transaction(async (tx) => {
        await enqueueWebhook(tx, identified('u-1'), { now: f.clock.now(), newId: f.newId });
        throw new Error('the user change failed');
      }),
    ).rejects.toThrow('the user change failed');
    expect(await webhookRows()).toEqual([]);
    expect(await worker().drain()).toMatchObject({ batches: 0 });
    expect(receiver.received).toEqual([]);
  });

  it('stores the event with its webhook id for the backend destination; a repeated key adds nothing', async () => {
    const first = await enqueue(identified('u-1'));
    const again = await enqueue(identified('u-1'));
    expect(first.enqueued).toBe(true);
    expect(again.enqueued).toBe(false);
    const rows = await webhookRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      partnerId: WEBHOOK_PARTNER_ID,
      dueBy: null,
      payload: { webhookId: first.webhookId, event: { type: 'user.identified' } },
    });
    expect(first.webhookId).toMatch(/^msg_[^.]+$/);
  });

  it('refuses an event whose state does not match its type', async () => {
    const bad = { ...identified('u-1'), type: 'user.suspended' as const };
    await expect(enqueue(bad)).rejects.toThrow(/cannot report state identified/);
  });

  it('delivers an event as a signed POST the backend can verify, and marks it delivered', async () => {
    const { webhookId } = await enqueue(identified('u-1'));
    expect(await worker().drain()).toEqual({ batches: 1, delivered: 1, rejected: 0, failed: 0 });

    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received as [Received];
    expect(got.method).toBe('POST');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe(webhookId);
    expect(got.headers['webhook-timestamp']).toBe(String(Date.parse(T0) / 1000));
    expect(verified(got)).toEqual({
      ok: true,
      id: webhookId,
      timestamp: new Date(T0),
      payload: {
        type: 'user.identified',
        timestamp: T0,
        data: identified('u-1').data,
      },
    });
    const [row] = await webhookRows();
    expect(row).toMatchObject({ state: 'delivered', attempts: 1, deliveredAt: new Date(T0) });
  });

  it('retries after a 500 and delivers once, with the same webhook-id and a fresh signature', async () => {
    const { webhookId } = await enqueue(identified('u-1'));
    receiver.script.push(500);
    const w = worker();
    expect(await w.drain()).toMatchObject({ delivered: 0, failed: 1 });
    expect((await webhookRows())[0]).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: 'HTTP 500',
    });
    // Not due again before the first backoff step (5 s).
    expect(await w.drain()).toMatchObject({ batches: 0 });
    f.clock.advance(5_000);
    expect(await w.drain()).toMatchObject({ delivered: 1, failed: 0 });
    f.clock.advance(3_600_000);
    expect(await w.drain()).toMatchObject({ batches: 0 });

    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([webhookId, webhookId]);
    const [, retry] = receiver.received as [Received, Received];
    expect(retry.headers['webhook-timestamp']).toBe(String(Date.parse(T0) / 1000 + 5));
    expect(
      verifyWebhook({
        secret: SECRET,
        headers: retry.headers,
        body: retry.body,
        now: new Date(Date.parse(T0) + 5_000),
      }).ok,
    ).toBe(true);
    expect((await webhookRows())[0]).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('rejects for good on a 400 and never sends that event again', async () => {
    await enqueue(identified('u-1'));
    receiver.script.push(400);
    const w = worker();
    expect(await w.drain()).toMatchObject({ delivered: 0, rejected: 1, failed: 0 });
    f.clock.advance(24 * 3_600_000);
    expect(await w.drain()).toMatchObject({ batches: 0 });
    expect(receiver.received).toHaveLength(1);
    expect((await webhookRows())[0]).toMatchObject({
      state: 'rejected',
      rejectionCode: 'HTTP_400',
      attempts: 1,
    });
  });

  it('treats 429 and 408 as failures to retry, not rejections', async () => {
    await enqueue(identified('u-1'));
    receiver.script.push(429, 408);
    const w = worker();
    expect(await w.drain()).toMatchObject({ failed: 1, rejected: 0 });
    f.clock.advance(5_000);
    expect(await w.drain()).toMatchObject({ failed: 1, rejected: 0 });
    f.clock.advance(30_000);
    expect(await w.drain()).toMatchObject({ delivered: 1 });
    expect((await webhookRows())[0]).toMatchObject({ state: 'delivered', attempts: 3 });
  });

  it('stops a batch at the first failure and later delivers the events in order', async () => {
    for (const id of ['u-1', 'u-2', 'u-3']) await enqueue(identified(id));
    receiver.script.push(200, 503);
    const w = worker();
    expect(await w.drain()).toMatchObject({ batches: 1, delivered: 1, failed: 2 });
    expect(receiver.received).toHaveLength(2);
    f.clock.advance(5_000);
    expect(await w.drain()).toMatchObject({ delivered: 2, failed: 0 });
    const users = receiver.received.map((r) => (JSON.parse(r.body) as { data: User }).data.userId);
    expect(users).toEqual(['u-1', 'u-2', 'u-2', 'u-3']);
    expect((await webhookRows()).every((r) => r.state === 'delivered')).toBe(true);
  });

  it('enqueues the events of user changes the backend must hear of, and only those', async () => {
    const write = createUserChangeWebhookWriter({ clock: f.clock, newId: f.newId });
    await f.db.transaction(async (tx) => {
      await write(tx, { user: user('pending_identification'), cause: 'SMS code confirmed' });
      await write(tx, { user: user('suspended'), cause: 'contract_terminated' });
      await write(tx, { user: user('deleted'), cause: 'deleted' });
    });
    expect(await worker().drain()).toMatchObject({ delivered: 1 });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received as [Received];
    expect(verified(got)).toMatchObject({
      ok: true,
      payload: {
        type: 'user.suspended',
        data: {
          userId: 'u-42',
          state: 'suspended',
          maySend: false,
          cause: 'contract_terminated',
          operatorId: 'megafon',
          graceUntil: '2026-12-05T09:00:00.000Z',
        },
      },
    });
    expect(got.body).not.toContain('9161234567');
    expect(got.body).not.toContain('c0de-42');
  });

  it('enqueues a set of user changes in one statement, one event each, skipping changes without one', async () => {
    const writeMany = createUserChangesWebhookWriter({ clock: f.clock, newId: f.newId });
    const suspended = (userId: string): User => ({ ...user('suspended'), userId });
    const statements: string[] = [];
    await f.db.transaction(async (tx) => {
      const counting = {
        query: ((text: string, params?: unknown[]) => {
          statements.push(text);
          return tx.query(text, params as never);
        }) as typeof tx.query,
      };
      await writeMany(counting as typeof tx, [
        { user: suspended('u-1'), cause: 'contract_terminated' },
        { user: { ...user('deleted'), userId: 'u-2' }, cause: 'deleted' },
        { user: suspended('u-3'), cause: 'subscriber_changed' },
      ]);
    });
    expect(statements.filter((q) => q.includes('INSERT INTO outbox'))).toHaveLength(1);
    const rows = await webhookRows();
    expect(rows).toHaveLength(2);
    const ids = rows.map((r) => (r.payload as { webhookId: string }).webhookId);
    expect(new Set(ids).size).toBe(2);
    expect(await worker().drain()).toMatchObject({ delivered: 2 });
    const got = receiver.received.map(
      (r) => JSON.parse(r.body) as { data: User & { cause: string } },
    );
    expect(got.map((g) => [g.data.userId, g.data.cause]).sort()).toEqual([
      ['u-1', 'contract_terminated'],
      ['u-3', 'subscriber_changed'],
    ]);
  });

  it('wires nothing when webhooks are off, both parts when they are on', () => {
    const deps = { clock: f.clock, newId: f.newId };
    expect(createMessengerWebhooks(null, deps)).toEqual({});
    const on = createMessengerWebhooks(
      { url: receiver.url, secret: SECRET, timeoutMs: 5_000 },
      deps,
    );
    expect(typeof on.enqueueWebhook).toBe('function');
    expect(typeof on.enqueueWebhooks).toBe('function');
    expect(typeof on.webhookTransport).toBe('function');
  });
});

describe('webhook transport failures', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const clock = createManualClock(T0);
  beforeEach(async () => {
    receiver = await startReceiver();
  });
  afterEach(() => receiver.close());

  const item = (id: string, payload: unknown) => ({
    id,
    dedupeKey: id,
    payload,
    attempts: 1,
    createdAt: new Date(T0),
    dueBy: null,
    dueAt: new Date(T0),
  });
  const stored = (userId: string) => ({
    webhookId: `msg_${userId}`,
    event: { type: 'user.identified', timestamp: T0, data: identified(userId).data },
  });
  const batch = (...items: ReturnType<typeof item>[]): ClaimedBatch => ({
    kind: WEBHOOK_OUTBOX_KIND,
    partnerId: WEBHOOK_PARTNER_ID,
    claimedUntil: new Date(Date.parse(T0) + 60_000),
    hold: 'test-worker',
    items,
  });
  const transport = (overrides: { url?: string; timeoutMs?: number } = {}) =>
    createWebhookTransport({
      url: receiver.url,
      secret: SECRET,
      timeoutMs: 5_000,
      clock,
      ...overrides,
    });
  const open = () => ({ signal: new AbortController().signal });

  it('rejects a stored payload that is not a webhook without sending it', async () => {
    const outcome = await transport()(
      batch(item('a', { hello: 'world' }), item('b', stored('u-2'))),
      open(),
    );
    expect(outcome).toEqual({
      delivered: ['b'],
      rejected: [{ id: 'a', code: 'INVALID_WEBHOOK_PAYLOAD' }],
      failed: [],
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('fails on a redirect without following it', async () => {
    receiver.script.push(307);
    const outcome = await transport()(batch(item('a', stored('u-1'))), open());
    expect(outcome.failed).toEqual([{ id: 'a', error: 'HTTP 307' }]);
    expect(receiver.received).toHaveLength(1);
  });

  it('fails on a refused connection', async () => {
    const url = receiver.url;
    await receiver.close();
    const outcome = await transport({ url })(batch(item('a', stored('u-1'))), open());
    expect(outcome.delivered).toEqual([]);
    expect(outcome.failed?.[0]?.error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('fails on a timeout and does not send the rest of the batch', async () => {
    receiver.script.push('hang');
    const outcome = await transport({ timeoutMs: 20 })(
      batch(item('a', stored('u-1')), item('b', stored('u-2'))),
      open(),
    );
    expect(outcome.failed).toEqual([
      { id: 'a', error: 'timed out after 20 ms' },
      { id: 'b', error: expect.stringMatching(/^not sent: an earlier webhook/) },
    ]);
    expect(receiver.received).toHaveLength(1);
  });

  it('stops sending once the outbox lease ends', async () => {
    const lease = new AbortController();
    receiver.script.push('hang');
    receiver.onRequest = () => lease.abort(new Error('outbox lease expired'));
    const outcome = await transport()(batch(item('a', stored('u-1')), item('b', stored('u-2'))), {
      signal: lease.signal,
    });
    expect(outcome.failed?.map((f) => f.id)).toEqual(['a', 'b']);
    expect(outcome.failed?.[0]?.error).toBe('the outbox lease ended');
    expect(receiver.received).toHaveLength(1);
  });

  it('refuses to start with an unusable secret', () => {
    expect(() =>
      createWebhookTransport({ url: receiver.url, secret: 'whsec_c2hvcnQ=', timeoutMs: 1_000 }),
    ).toThrow(/24/);
  });
});
