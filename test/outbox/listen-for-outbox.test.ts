import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/core/clock.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { listenForOutbox } from '../../src/outbox/listen-for-outbox.js';
import { enqueueOutbox } from '../../src/outbox/outbox-store.js';
import { createOutboxWorker } from '../../src/outbox/outbox-worker.js';
import { describePostgresOnly } from '../helpers/test-database.js';
import {
  claimFoundNothing,
  createOutboxFixture,
  notice,
  type OutboxFixture,
} from './outbox-fixture.js';

describe('listenForOutbox', () => {
  it('refuses a schema name that is not a plain identifier, before connecting', async () => {
    await expect(
      listenForOutbox({
        url: 'postgres://nobody@127.0.0.1:1/none',
        schema: 'x; DROP TABLE outbox',
        onWake: () => {},
        signal: new AbortController().signal,
        log: createSilentLogger(),
      }),
    ).rejects.toThrow(/invalid schema name/);
  });
});

// LISTEN/NOTIFY wakes workers of other processes; only PostgreSQL has other
// processes (PGlite is one process, where `worker.wake()` after commit does
// it), so this suite runs whenever DATABASE_URL is set, like every postgres
// variant of describeEachDriver.
describePostgresOnly('outbox LISTEN/NOTIFY wake-up', (kind) => {
  let f: OutboxFixture;
  let stop: AbortController;
  beforeEach(async () => {
    f = await createOutboxFixture(kind);
    stop = new AbortController();
  });
  afterEach(async () => {
    stop.abort();
    await f.db.close();
  });

  it('wakes a sleeping worker when another connection commits an enqueue', async () => {
    const url = process.env.DATABASE_URL ?? '';
    let delivered: () => void = () => {};
    const gotIt = new Promise<void>((r) => {
      delivered = r;
    });
    const idle = claimFoundNothing(f.db);
    const worker = createOutboxWorker({
      db: idle.db,
      clock: f.clock,
      log: createSilentLogger(),
      workerId: 'listener-process',
      signal: stop.signal,
      pollIntervalMs: HOUR_MS, // only a notification can wake it within the test
      housekeepingIntervalMs: HOUR_MS,
      deliver: async (b) => {
        delivered();
        return { delivered: b.items.map((i) => i.id), rejected: [] };
      },
    });
    const listener = await listenForOutbox({
      url,
      schema: f.db.schema,
      onWake: worker.wake,
      signal: stop.signal,
      log: createSilentLogger(),
    });
    const running = worker.run();
    await idle.once;

    // "Another process": its own pool on the same schema; it never calls wake().
    const other = createPostgresDatabase({ url, schema: f.db.schema, poolSize: 1 });
    try {
      await other.transaction(async (tx) => {
        await enqueueOutbox(tx, [notice('tamtam', 1)], { now: f.clock.now(), newId: f.newId });
      });
    } finally {
      await other.close();
    }
    await gotIt;
    stop.abort();
    await running;
    await listener.closed;
    expect((await f.rows())[0]?.state).toBe('delivered');
  });

  it('ignores notifications of another schema and of rolled-back enqueues', async () => {
    let wakes = 0;
    const listener = await listenForOutbox({
      url: process.env.DATABASE_URL ?? '',
      schema: f.db.schema,
      onWake: () => wakes++,
      signal: stop.signal,
      log: createSilentLogger(),
    });
    await expect(
      f.db.transaction(async (tx) => {
        await f.enqueue([notice('tamtam', 1)], tx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow();
    // One transaction: another schema's notification, then a committed
    // enqueue. They arrive in that order on the listen connection, so by
    // the time the enqueue's wake-up is seen the other one was handled too.
    await f.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('idbridge_outbox', 'some_other_schema')`);
      await f.enqueue([notice('tamtam', 2)], tx);
    });
    await expect.poll(() => wakes, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    stop.abort();
    await listener.closed;
    expect(wakes).toBe(1);
  });
});
