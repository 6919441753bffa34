import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Queryable } from '../../db/port.js';
import type { UserChange } from '../identification/messenger-identifier.js';
import { findUser, transitionUser } from './user-store.js';

/**
 * R8: a suspended user not re-identified within the grace period is
 * deauthorized. Each user in its own transaction, row locked, so a
 * re-identification racing the deadline wins or loses cleanly.
 * Returns the ids of the users deauthorized.
 */
export async function deauthorizeExpiredUsers(
  deps: {
    db: Database;
    clock: Clock;
    ids: IdGenerator;
    onUserChanged: (tx: Queryable, change: UserChange) => Promise<void>;
  },
  limit = 500,
): Promise<string[]> {
  const now = deps.clock.now();
  const { rows } = await deps.db.query<{ user_id: string }>(
    `SELECT user_id FROM users WHERE state = 'suspended' AND grace_until <= $1 ORDER BY grace_until LIMIT $2`,
    [now, limit],
  );
  const done: string[] = [];
  for (const { user_id } of rows) {
    const changed = await deps.db.transaction(async (tx) => {
      const user = await findUser(tx, user_id, { lock: true });
      if (user?.state !== 'suspended' || !user.graceUntil || user.graceUntil > now) return false;
      const after = await transitionUser(tx, deps.ids, user, 'deauthorized', {
        cause: 'grace period over without re-identification (R8)',
        at: now,
        patch: { identificationCode: null },
      });
      await deps.onUserChanged(tx, { user: after, cause: 'grace_expired' });
      return true;
    });
    if (changed) done.push(user_id);
  }
  return done;
}
