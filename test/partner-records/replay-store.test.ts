import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { createReplayStore } from '../../src/partner-records/replay-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('replay store', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared']);
  });
  afterEach(() => db.close());

  it('accepts a nonce once and refuses it the second time', async () => {
    const store = createReplayStore({ db, clock, windowSeconds: 300 });
    await store.rememberNonce('mts-1', 'n-1', clock.now());
    await expect(store.rememberNonce('mts-1', 'n-1', clock.now())).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    // The same nonce under another key is another request.
    await store.rememberNonce('beeline-1', 'n-1', clock.now());
  });

  it('refuses a replay sent to a second instance of the node', async () => {
    const first = createReplayStore({ db, clock, windowSeconds: 300 });
    // On PostgreSQL the second instance has its own connection pool.
    const otherDb =
      kind === 'postgres'
        ? createPostgresDatabase({ url: process.env.DATABASE_URL as string, schema: db.schema })
        : db;
    try {
      const second = createReplayStore({ db: otherDb, clock, windowSeconds: 300 });
      await first.rememberNonce('mts-1', 'n-2', clock.now());
      await expect(second.rememberNonce('mts-1', 'n-2', clock.now())).rejects.toThrow(/replayed/);
    } finally {
      if (otherDb !== db) await otherDb.close();
    }
  });

  it('lets exactly one of many racing requests with one nonce through', async () => {
    const store = createReplayStore({ db, clock, windowSeconds: 300 });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.rememberNonce('mts-1', 'race', clock.now())),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('writes the nonces of concurrent requests together and refuses a repeat among them', async () => {
    const store = createReplayStore({ db, clock, windowSeconds: 300 });
    const statements: string[] = [];
    const counted = {
      ...db,
      query: ((sql: string, params?: unknown[]) => {
        statements.push(sql);
        return db.query(sql, params);
      }) as Database['query'],
    };
    const coalesced = createReplayStore({ db: counted, clock, windowSeconds: 300 });
    await store.rememberNonce('mts-1', 'n-seen', clock.now());
    // The first goes out alone; the rest arrive while it is on the wire.
    const nonces = ['n-0', 'n-1', 'n-2', 'n-1', 'n-seen', 'n-3'];
    const results = await Promise.allSettled(
      nonces.map((n) => coalesced.rememberNonce('mts-1', n, clock.now())),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected', // the second n-1 of the same write
      'rejected', // seen before
      'fulfilled',
    ]);
    expect(statements.filter((s) => s.includes('INSERT INTO seen_nonces'))).toHaveLength(2);
    const { rows } = await db.query<{ n: string }>(
      "SELECT count(*)::int AS n FROM seen_nonces WHERE key_id = 'mts-1'",
    );
    expect(Number(rows[0]?.n)).toBe(5);
  });

  it('rejects exactly the requests a failed write carried', async () => {
    let fail = true;
    const flaky = {
      ...db,
      query: ((sql: string, params?: unknown[]) => {
        if (fail && sql.includes('INSERT INTO seen_nonces')) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return db.query(sql, params);
      }) as Database['query'],
    };
    const store = createReplayStore({ db: flaky, clock, windowSeconds: 300 });
    const results = await Promise.allSettled([
      store.rememberNonce('mts-1', 'a', clock.now()),
      store.rememberNonce('mts-1', 'b', clock.now()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    // The failed one was not remembered: its retry is accepted.
    await store.rememberNonce('mts-1', 'a', clock.now());
  });

  it('forgets nonces only after the acceptance window has closed', async () => {
    const store = createReplayStore({ db, clock, windowSeconds: 300 });
    await store.rememberNonce('mts-1', 'old', clock.now());
    clock.advance(300_000);
    expect(await store.purgeExpired()).toBe(0);
    clock.advance(301_000);
    expect(await store.purgeExpired()).toBe(1);
  });
});
