import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, Queryable } from '../../src/db/port.js';
import { createPermissionCheck } from '../../src/messenger/permission/permission-check.js';
import type { UserState } from '../../src/messenger/users/user-states.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

/** The hot path's guarantees (R6, R9, issue 5): the cache bound, no cached "no", coalesced reads. */
describeEachDriver('permission check', (kind) => {
  let db: Database;
  let clock: ManualClock;
  let seq = 0;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'messenger']);
    clock = createManualClock('2026-06-01T12:00:00Z');
  });
  afterEach(async () => {
    await db.close();
  });

  async function addUser(state: UserState): Promise<string> {
    const userId = newId();
    seq += 1;
    await db.query(
      `INSERT INTO users (user_id, msisdn, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
      [userId, `+7916${String(seq).padStart(7, '0')}`, state, clock.now()],
    );
    return userId;
  }
  const setState = (userId: string, state: UserState) =>
    db.query('UPDATE users SET state = $2 WHERE user_id = $1', [userId, state]);

  it('says yes only for identified users, and no for unknown ids', async () => {
    const check = createPermissionCheck({ db, clock, ttlMs: 1000 });
    const states: UserState[] = ['identified', 'suspended', 'legacy', 'not_identified', 'deleted'];
    const ids = await Promise.all(states.map(addUser));
    const answers = await Promise.all(ids.map((id) => check.check(id)));
    expect(answers.map((a) => [a.state, a.maySend])).toEqual([
      ['identified', true],
      ['suspended', false],
      ['legacy', false],
      ['not_identified', false],
      ['deleted', false],
    ]);
    expect(await check.check(newId())).toMatchObject({ maySend: false, state: 'unknown' });
  });

  it('never says yes for a user suspended elsewhere longer than ttlMs', async () => {
    const check = createPermissionCheck({ db, clock, ttlMs: 1000 });
    const userId = await addUser('identified');
    expect((await check.check(userId)).maySend).toBe(true);
    // Another instance suspends the user: this one may still answer from cache…
    await setState(userId, 'suspended');
    clock.advance(999);
    expect((await check.check(userId)).maySend).toBe(true);
    // …but not once the bound has passed.
    clock.advance(1);
    expect(await check.check(userId)).toMatchObject({ maySend: false, state: 'suspended' });
  });

  it('sees a suspension by this instance at once after invalidate, and never caches a no', async () => {
    const check = createPermissionCheck({ db, clock, ttlMs: 60_000 });
    const userId = await addUser('identified');
    expect((await check.check(userId)).maySend).toBe(true);
    await setState(userId, 'suspended');
    check.invalidate(userId);
    expect((await check.check(userId)).maySend).toBe(false);
    await setState(userId, 'identified');
    expect((await check.check(userId)).maySend).toBe(true);
  });

  it('lets legacy users send until the configured cutoff, and no cached yes outlives it (R9)', async () => {
    const cutoff = new Date(clock.now().getTime() + 500);
    const check = createPermissionCheck({
      db,
      clock,
      ttlMs: 60_000,
      legacy: { maySendUntil: cutoff },
    });
    const userId = await addUser('legacy');
    expect(await check.check(userId)).toMatchObject({ maySend: true, state: 'legacy' });
    clock.advance(500);
    expect(await check.check(userId)).toMatchObject({ maySend: false, state: 'legacy' });
  });

  it('answers a burst of cache misses with a few queries, each answer right', async () => {
    let queries = 0;
    const counting: Queryable = {
      query: (text, params) => {
        queries += 1;
        return db.query(text, params);
      },
    } as Queryable;
    const check = createPermissionCheck({ db: counting, clock, ttlMs: 0, maxBatch: 100 });
    const identified = await Promise.all(Array.from({ length: 150 }, () => addUser('identified')));
    const suspended = await Promise.all(Array.from({ length: 150 }, () => addUser('suspended')));
    const all = [...identified, ...suspended, newId()];
    const answers = await Promise.all(all.map((id) => check.check(id.toUpperCase())));
    expect(answers.filter((a) => a.maySend)).toHaveLength(150);
    expect(answers.slice(0, 150).every((a) => a.maySend && a.state === 'identified')).toBe(true);
    expect(answers.slice(150, 300).every((a) => !a.maySend && a.state === 'suspended')).toBe(true);
    expect(answers[300]).toMatchObject({ maySend: false, state: 'unknown' });
    // 301 checks: the first goes alone, the rest wait and go in batches of 100.
    expect(queries).toBeLessThanOrEqual(5);
  });

  it('fails the checks a failed query carried, and only those', async () => {
    let fail = true;
    const flaky: Queryable = {
      query: (text, params) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return db.query(text, params);
      },
    } as Queryable;
    const check = createPermissionCheck({ db: flaky, clock, ttlMs: 0 });
    const a = await addUser('identified');
    const b = await addUser('identified');
    const [first, second] = await Promise.allSettled([check.check(a), check.check(b)]);
    expect(first.status).toBe('rejected');
    expect(second).toMatchObject({ status: 'fulfilled', value: { maySend: true } });
  });
});
