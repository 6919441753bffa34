import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { createSequentialIds, type IdGenerator } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database, DriverKind, Queryable } from '../../src/db/port.js';
import { inspectOutbox } from '../../src/outbox/outbox-ops-store.js';
import { enqueueOutbox } from '../../src/outbox/outbox-store.js';
import type { NewOutboxItem, OutboxRow } from '../../src/outbox/outbox-types.js';
import { createTestDatabase } from '../helpers/test-database.js';

export interface OutboxFixture {
  db: Database;
  clock: ManualClock;
  newId: IdGenerator;
  enqueue(items: NewOutboxItem[], tx?: Queryable): Promise<string[]>;
  rows(): Promise<OutboxRow[]>;
  row(id: string): Promise<OutboxRow>;
}

export const T0 = '2026-11-28T09:00:00.000Z';

/** A migrated test database with a manual clock at T0. Close `db` after use. */
export async function createOutboxFixture(kind: DriverKind): Promise<OutboxFixture> {
  const db = await createTestDatabase(kind);
  await migrate(db, ['shared']);
  const clock = createManualClock(T0);
  const newId = createSequentialIds();
  const rows = async (): Promise<OutboxRow[]> =>
    inspectOutbox(db, { state: 'pending', limit: 100_000 }).then(async (pending) => [
      ...pending,
      ...(await inspectOutbox(db, { state: 'delivered', limit: 100_000 })),
      ...(await inspectOutbox(db, { state: 'rejected', limit: 100_000 })),
    ]);
  return {
    db,
    clock,
    newId,
    async enqueue(items, tx) {
      const run = (q: Queryable) => enqueueOutbox(q, items, { now: clock.now(), newId });
      const result = tx ? await run(tx) : await db.transaction(run);
      return result.insertedIds;
    },
    rows,
    async row(id) {
      const found = (await rows()).find((r) => r.id === id);
      if (!found) throw new Error(`no outbox row ${id}`);
      return found;
    },
  };
}

export function notice(
  partnerId: string,
  n: number,
  extra: Partial<NewOutboxItem> = {},
): NewOutboxItem {
  return {
    kind: 'notice',
    partnerId,
    dedupeKey: `${partnerId}-notice-${n}`,
    payload: {
      notificationId: `n-${n}`,
      type: 'contract_terminated',
      identificationCode: `code-${n}`,
    },
    ...extra,
  };
}

export function notices(partnerId: string, count: number, from = 1): NewOutboxItem[] {
  return Array.from({ length: count }, (_, i) => notice(partnerId, from + i));
}

/**
 * Wraps a database so a test learns, without waiting on time, when a claim
 * first came back empty (the worker is about to sleep).
 */
export function claimFoundNothing(db: Queryable): { db: Queryable; once: Promise<void> } {
  let signal: () => void = () => {};
  const once = new Promise<void>((resolve) => {
    signal = resolve;
  });
  return {
    once,
    db: {
      exec: (sql) => db.exec(sql),
      query: (async (sql: string, params?: readonly unknown[]) => {
        const result = await db.query(sql, params);
        if (sql.includes('head AS (') && result.rows.length === 0) signal();
        return result;
      }) as Queryable['query'],
    },
  };
}
