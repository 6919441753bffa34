import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { IdbridgeError } from '../../src/core/errors.js';
import { runCombinedWrites } from '../../src/db/combined-writes.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, Queryable } from '../../src/db/port.js';
import {
  hashRequestBody,
  type IdempotencyClaim,
  purgeIdempotentRequests,
  runIdempotent,
} from '../../src/partner-records/idempotency-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('idempotency store', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared']);
    await db.exec('CREATE TABLE effects (id serial PRIMARY KEY, note text)');
  });
  afterEach(() => db.close());

  const work = (note: string) => async (tx: { query: Database['query'] }) => {
    await tx.query('INSERT INTO effects (note) VALUES ($1)', [note]);
    return { statusCode: 200, body: { note } };
  };
  const effects = async () => (await db.query('SELECT note FROM effects')).rows;

  it('returns the first answer again for the same id and body, doing the work once', async () => {
    const req = { callerId: 'tamtam', key: 'r-1', requestHash: hashRequestBody('{"a":1}') };
    const first = await runIdempotent(db, req, clock, work('first'));
    const again = await runIdempotent(db, req, clock, work('second'));
    expect(first).toEqual({ statusCode: 200, body: { note: 'first' }, replayed: false });
    expect(again).toEqual({ statusCode: 200, body: { note: 'first' }, replayed: true });
    expect(await effects()).toEqual([{ note: 'first' }]);
  });

  it('answers CONFLICT for the same id with another body, changing nothing', async () => {
    await runIdempotent(
      db,
      { callerId: 'tamtam', key: 'r-1', requestHash: 'aa' },
      clock,
      work('x'),
    );
    await expect(
      runIdempotent(db, { callerId: 'tamtam', key: 'r-1', requestHash: 'bb' }, clock, work('y')),
    ).rejects.toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(await effects()).toEqual([{ note: 'x' }]);
  });

  it('keeps keys of different callers apart', async () => {
    await runIdempotent(db, { callerId: 'a', key: 'same', requestHash: 'h1' }, clock, work('a'));
    const b = await runIdempotent(
      db,
      { callerId: 'b', key: 'same', requestHash: 'h2' },
      clock,
      work('b'),
    );
    expect(b.replayed).toBe(false);
  });

  it('stores nothing when the work fails, so a retry does it afresh', async () => {
    const req = { callerId: 'tamtam', key: 'r-2', requestHash: 'h' };
    await expect(
      runIdempotent(db, req, clock, async (tx) => {
        await tx.query('INSERT INTO effects (note) VALUES ($1)', ['rolled back']);
        throw new IdbridgeError('UNAVAILABLE', 'try later');
      }),
    ).rejects.toThrow('try later');
    const retry = await runIdempotent(db, req, clock, work('retried'));
    expect(retry.replayed).toBe(false);
    expect(await effects()).toEqual([{ note: 'retried' }]);
  });

  it('does the work once when identical requests race', async () => {
    const req = { callerId: 'tamtam', key: 'race', requestHash: 'h' };
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => runIdempotent(db, req, clock, work(`w${i}`))),
    );
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(await effects()).toHaveLength(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.body))).size).toBe(1);
  });

  // The operator's identification claims the key in its own first statement.
  const claimingWork =
    (note: string) => async (tx: Queryable, _answer: unknown, claim: IdempotencyClaim) => {
      claim.check(await runCombinedWrites(tx, [claim.write]));
      await tx.query('INSERT INTO effects (note) VALUES ($1)', [note]);
      return { statusCode: 200, body: { note } };
    };

  it('claims the key in the handler’s statement when asked, with the same answers', async () => {
    const req = { callerId: 'tamtam', key: 'h-1', requestHash: 'h' };
    const opts = { handlerClaims: true };
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        runIdempotent(db, req, clock, claimingWork(`w${i}`), opts),
      ),
    );
    expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
    expect(await effects()).toHaveLength(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.body))).size).toBe(1);
    await expect(
      runIdempotent(db, { ...req, requestHash: 'other' }, clock, claimingWork('x'), opts),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await effects()).toHaveLength(1);
  });

  it('refuses a handler that was to claim the key and never checked the claim', async () => {
    const req = { callerId: 'tamtam', key: 'h-2', requestHash: 'h' };
    await expect(
      runIdempotent(db, req, clock, work('unclaimed'), { handlerClaims: true }),
    ).rejects.toThrow(/never checked the claim/);
    expect(await effects()).toEqual([]);
    const { rows } = await db.query('SELECT 1 FROM idempotent_requests');
    expect(rows).toEqual([]);
  });

  it('purges answers older than the retention cut-off', async () => {
    await runIdempotent(db, { callerId: 'a', key: 'k', requestHash: 'h' }, clock, work('a'));
    expect(await purgeIdempotentRequests(db, new Date(clock.now().getTime() + 1))).toBe(1);
  });
});
