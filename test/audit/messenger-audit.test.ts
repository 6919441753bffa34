import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/audit/index.js';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { findUser, insertUser, transitionUser } from '../../src/messenger/users/user-store.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

describeEachDriver('messenger audit log', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-11-28T09:00:00Z');
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'messenger']);
  });
  afterEach(async () => {
    await db.close();
  });

  it('records every user transition without the number, and the chain verifies', async () => {
    const user = await db.transaction((tx) =>
      insertUser(tx, newId, {
        msisdn: '+79160000001',
        state: 'unverified',
        cause: 'sign-up',
        at: clock.now(),
      }),
    );
    clock.advance(1000);
    await db.transaction(async (tx) => {
      const locked = await findUser(tx, user.userId, { lock: true });
      if (!locked) throw new Error('user vanished');
      await transitionUser(tx, newId, locked, 'pending_identification', {
        cause: 'identification requested',
        at: clock.now(),
      });
    });
    // A rolled-back transition leaves no entry.
    await expect(
      db.transaction(async (tx) => {
        const locked = await findUser(tx, user.userId, { lock: true });
        if (!locked) throw new Error('user vanished');
        await transitionUser(tx, newId, locked, 'identified', { cause: 'x', at: clock.now() });
        throw new Error('send failed');
      }),
    ).rejects.toThrow('send failed');

    const { rows } = await db.query<{ kind: string; subject: string; data: unknown }>(
      'SELECT kind, subject, data FROM audit_entries ORDER BY at',
    );
    expect(rows).toEqual([
      {
        kind: 'user.transition',
        subject: `user:${user.userId}`,
        data: { userId: user.userId, from: null, to: 'unverified', cause: 'sign-up' },
      },
      {
        kind: 'user.transition',
        subject: `user:${user.userId}`,
        data: {
          userId: user.userId,
          from: 'unverified',
          to: 'pending_identification',
          cause: 'identification requested',
        },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain('9160000001');
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true, entries: 2 });
  });
});
