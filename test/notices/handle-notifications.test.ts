import { afterEach, beforeEach, expect, it } from 'vitest';
import { createManualClock, HOUR_MS } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import type { MessengerIdentifier } from '../../src/messenger/identification/messenger-identifier.js';
import { handleNotifications } from '../../src/messenger/notices/handle-notifications.js';
import type { UserState } from '../../src/messenger/users/user-states.js';
import { findUser, type User } from '../../src/messenger/users/user-store.js';
import type { Notification } from '../../src/protocol/schemas/index.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';

/**
 * The messenger's notice handler on one mixed request (R7, R8): every kind of
 * notice in one set-based transaction, each answered and acted on exactly as
 * if it had come alone.
 */
describeEachDriver('notices of one request', (kind) => {
  let db: Database;
  const clock = createManualClock('2026-06-01T12:00:00Z');
  let seq = 0;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['shared', 'messenger']);
  });
  afterEach(async () => {
    await db.close();
  });

  async function addUser(
    state: UserState,
    operatorId: string,
  ): Promise<{ userId: string; code: string }> {
    const userId = newId();
    seq += 1;
    const code = `code-${seq}-${userId.slice(-6)}`;
    await db.query(
      `INSERT INTO users (user_id, msisdn, state, identification_code, operator_id, identified_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $6)`,
      [userId, `+7916${String(seq).padStart(7, '0')}`, state, code, operatorId, clock.now()],
    );
    return { userId, code };
  }
  const notice = (code: string, type: Notification['type'] = 'contract_terminated'): Notification =>
    ({
      notificationId: newId(),
      type,
      identificationCode: code,
      occurredAt: clock.now().toISOString(),
      dueBy: new Date(clock.now().getTime() + 24 * HOUR_MS).toISOString(),
    }) as Notification;

  // Port-out is covered end to end in notice-flow.test.ts; here no notice may start one.
  const identifier = {
    beginAttempt: () => {
      throw new Error('no re-identification expected in this test');
    },
  } as unknown as MessengerIdentifier;

  it('suspends, acknowledges duplicates once, rejects unknown codes, and audits the set', async () => {
    const a = await addUser('identified', 'mts');
    const b = await addUser('legacy', 'mts');
    const c = await addUser('not_identified', 'mts');
    const other = await addUser('identified', 'beeline');
    const changed: string[] = [];
    const reported: User[] = [];
    let changeCalls = 0;
    const after: string[] = [];
    const deps = {
      db,
      clock,
      ids: newId,
      identifier,
      graceMs: 7 * 24 * HOUR_MS,
      onUsersChanged: async (_tx: unknown, changes: ReadonlyArray<{ user: User }>) => {
        // One call per request: the webhooks of all its suspensions in one INSERT.
        changeCalls += 1;
        for (const change of changes) {
          changed.push(`${change.user.userId}:${change.user.state}`);
          reported.push(change.user);
        }
      },
      afterUserChanged: (userId: string) => after.push(userId),
    };
    // Later than the users were made, so every changed timestamp differs.
    clock.advance(60_000);
    const first = notice(a.code);
    // Delivered before: acknowledged again, not acted on again.
    await handleNotifications(deps, 'mts', [first]);
    expect(changed).toEqual([`${a.userId}:suspended`]);

    const twiceInOne = notice(b.code, 'subscriber_changed');
    const secondForB = notice(b.code);
    const forC = notice(c.code);
    const unknownCode = notice('no-such-code');
    const wrongOperator = notice(other.code);
    const batch = [first, twiceInOne, twiceInOne, secondForB, forC, unknownCode, wrongOperator];
    const result = await handleNotifications(deps, 'mts', batch);

    expect(result.rejected).toEqual([
      { notificationId: unknownCode.notificationId, code: 'UNKNOWN_CODE' },
      { notificationId: wrongOperator.notificationId, code: 'UNKNOWN_CODE' },
    ]);
    expect(result.acknowledged).toEqual([
      first.notificationId,
      twiceInOne.notificationId,
      twiceInOne.notificationId,
      secondForB.notificationId,
      forC.notificationId,
    ]);
    expect(result.reidentify).toEqual([]);
    // b suspended once though two notices named it; c (not identified) left alone.
    expect(changed).toEqual([`${a.userId}:suspended`, `${b.userId}:suspended`]);
    expect(changeCalls).toBe(2);
    expect(after).toEqual([a.userId, b.userId]);
    // The users the webhooks describe are the users as stored.
    for (const user of reported) expect(user).toEqual(await findUser(db, user.userId));

    const { rows: states } = await db.query<{ user_id: string; state: string; grace_until: Date }>(
      'SELECT user_id, state, grace_until FROM users ORDER BY user_id',
    );
    const stateOf = new Map(states.map((r) => [r.user_id, r.state]));
    expect(stateOf.get(b.userId)).toBe('suspended');
    expect(stateOf.get(c.userId)).toBe('not_identified');
    expect(stateOf.get(other.userId)).toBe('identified');
    const { rows: transitions } = await db.query<{
      user_id: string;
      from_state: string;
      cause: string;
    }>(
      "SELECT user_id, from_state, cause FROM user_transitions WHERE to_state = 'suspended' ORDER BY at, cause",
    );
    expect(transitions).toHaveLength(2);
    expect(transitions).toContainEqual({
      user_id: b.userId,
      from_state: 'legacy',
      cause: 'subscriber_changed',
    });

    const { rows: received } = await db.query<{ notification_id: string; action: string }>(
      'SELECT notification_id, action FROM received_notices',
    );
    const actionOf = new Map(received.map((r) => [r.notification_id, r.action]));
    expect(actionOf.size).toBe(4);
    expect(actionOf.get(twiceInOne.notificationId)).toBe('suspend');
    expect(actionOf.get(secondForB.notificationId)).toBe('none');
    expect(actionOf.get(forC.notificationId)).toBe('none');

    const { rows: audit } = await db.query<{
      kind: string;
      data: { notices: { notificationId: string[]; action: string[] } };
    }>("SELECT kind, data FROM audit_entries WHERE kind = 'notices.received' ORDER BY at, seq");
    expect(audit.map((r) => r.data.notices.notificationId.length).sort()).toEqual([1, 3]);
    // Each notice recorded with the action taken, as received_notices holds it.
    const audited = new Map(
      audit.flatMap((r) =>
        r.data.notices.notificationId.map((id, n) => [id, r.data.notices.action[n]] as const),
      ),
    );
    expect(audited).toEqual(actionOf);
    expect(JSON.stringify(audit)).not.toMatch(/\+7\d{10}/);
  });

  it('acts once on notices that two deliveries bring at the same time, and both acknowledge them', async () => {
    const users = await Promise.all([1, 2, 3, 4].map(() => addUser('identified', 'mts')));
    const notices = users.map((u) => notice(u.code));
    const changed: string[] = [];
    const deps = {
      db,
      clock,
      ids: newId,
      identifier,
      graceMs: HOUR_MS,
      onUsersChanged: async () => {},
      afterUserChanged: (userId: string) => changed.push(userId),
    };
    // The second delivery carries the same notices in another order.
    const [one, two] = await Promise.all([
      handleNotifications(deps, 'mts', notices),
      handleNotifications(deps, 'mts', [...notices].reverse()),
    ]);
    const ids = notices.map((n) => n.notificationId).sort();
    expect([...one.acknowledged].sort()).toEqual(ids);
    expect([...two.acknowledged].sort()).toEqual(ids);
    expect([...one.rejected, ...two.rejected]).toEqual([]);
    const { rows } = await db.query<{ n: number; suspended: number; transitions: number }>(
      `SELECT (SELECT count(*)::int FROM received_notices WHERE action = 'suspend') AS n,
              (SELECT count(*)::int FROM users WHERE state = 'suspended') AS suspended,
              (SELECT count(*)::int FROM user_transitions WHERE to_state = 'suspended') AS transitions`,
    );
    expect(rows[0]).toEqual({ n: 4, suspended: 4, transitions: 4 });
    expect([...changed].sort()).toEqual(users.map((u) => u.userId).sort());
  });

  it('changes nothing when a statement fails midway', async () => {
    const a = await addUser('identified', 'mts');
    const failing = {
      db,
      clock,
      ids: newId,
      identifier,
      graceMs: HOUR_MS,
      onUsersChanged: async () => {
        throw new Error('webhook outbox unavailable');
      },
      afterUserChanged: () => {},
    };
    await expect(handleNotifications(failing, 'mts', [notice(a.code)])).rejects.toThrow(
      'webhook outbox unavailable',
    );
    const { rows } = await db.query<{ state: string }>(
      'SELECT state FROM users WHERE user_id = $1',
      [a.userId],
    );
    expect(rows[0]?.state).toBe('identified');
    const { rows: received } = await db.query('SELECT 1 FROM received_notices');
    expect(received).toHaveLength(0);
  });
});
