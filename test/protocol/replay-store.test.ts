import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { createReplayStore } from '../../src/protocol/replay/replay-store.js';
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

  it('forgets nonces only after the acceptance window has closed', async () => {
    const store = createReplayStore({ db, clock, windowSeconds: 300 });
    await store.rememberNonce('mts-1', 'old', clock.now());
    clock.advance(300_000);
    expect(await store.purgeExpired()).toBe(0);
    clock.advance(301_000);
    expect(await store.purgeExpired()).toBe(1);
  });
});
