import type { Clock } from '../../core/clock.js';
import type { Queryable } from '../../db/port.js';
import { maySend, type UserState } from '../users/user-states.js';
import { readUserState } from '../users/user-store.js';

export interface PermissionAnswer {
  userId: string;
  maySend: boolean;
  state: UserState | 'unknown';
}

/**
 * "May this user send messages?" — the hot path (R6, R12). One primary-key
 * read, fronted by an in-process cache whose entries live at most `ttlMs`.
 *
 * Guarantee: a suspension committed by this process is seen at once (the
 * node drops the user's entry after commit); one committed by another
 * instance is seen within `ttlMs` (default 1 s). So no instance says "yes"
 * for a suspended user for longer than the configured bound. A "no" is
 * never cached: a user who just became identified may send at once.
 */
export function createPermissionCheck(deps: {
  db: Queryable;
  clock: Clock;
  ttlMs: number;
  maxEntries?: number;
}) {
  const cache = new Map<string, { state: UserState; until: number }>();
  const maxEntries = deps.maxEntries ?? 100_000;

  return {
    async check(userId: string): Promise<PermissionAnswer> {
      const now = deps.clock.now().getTime();
      const hit = cache.get(userId);
      if (hit && hit.until > now) return { userId, maySend: maySend(hit.state), state: hit.state };
      const state = await readUserState(deps.db, userId);
      if (state === null) return { userId, maySend: false, state: 'unknown' };
      if (deps.ttlMs > 0 && maySend(state)) {
        if (cache.size >= maxEntries) cache.clear();
        cache.set(userId, { state, until: now + deps.ttlMs });
      } else {
        cache.delete(userId);
      }
      return { userId, maySend: maySend(state), state };
    },
    /** After a commit that changed the user. */
    invalidate(userId: string): void {
      cache.delete(userId);
    },
  };
}

export type PermissionCheck = ReturnType<typeof createPermissionCheck>;
