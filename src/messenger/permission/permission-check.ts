import type { Clock } from '../../core/clock.js';
import type { Queryable } from '../../db/port.js';
import { legacyAwareMaySend, permissionCacheUntil } from '../legacy/legacy-send-policy.js';
import type { UserState } from '../users/user-states.js';
import { createCoalescedStateReader } from './coalesced-state-reader.js';

export interface PermissionAnswer {
  userId: string;
  maySend: boolean;
  state: UserState | 'unknown';
}

/**
 * "May this user send messages?" — the hot path (R6, R12). A read of the
 * users table by primary key, fronted by an in-process cache whose entries
 * live at most `ttlMs`.
 *
 * Guarantee: a suspension committed by this process is seen at once (the
 * node drops the user's entry after commit); one committed by another
 * instance is seen within `ttlMs` (default 1 s). So no instance says "yes"
 * for a suspended user for longer than the configured bound. A "no" is
 * never cached: a user who just became identified may send at once.
 *
 * Cache misses that arrive while a read is on the wire are answered by the
 * next read, one `user_id = ANY($1)` query for all of them: every answer
 * still comes from a read that started after its check arrived, and the
 * database sees one round trip per burst instead of one per check.
 *
 * Users awaiting legacy reconciliation follow `legacy.maySendUntil` (R9):
 * a cached "yes" for them never outlives the cutoff.
 */
export function createPermissionCheck(deps: {
  db: Queryable;
  clock: Clock;
  ttlMs: number;
  maxEntries?: number;
  maxBatch?: number;
  legacy?: { maySendUntil?: Date | undefined };
}) {
  const cache = new Map<string, { state: UserState; until: number }>();
  const maxEntries = deps.maxEntries ?? 100_000;
  const policy = deps.legacy ?? {};
  const read = createCoalescedStateReader(deps.db, deps.maxBatch ?? 1000);

  const remember = (userId: string, state: UserState, now: Date): void => {
    cache.delete(userId);
    // Map keeps insertion order: the first key is the oldest entry.
    if (cache.size >= maxEntries) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(userId, { state, until: permissionCacheUntil(state, now, deps.ttlMs, policy) });
  };

  return {
    async check(userId: string): Promise<PermissionAnswer> {
      const now = deps.clock.now();
      const hit = cache.get(userId);
      if (hit && hit.until > now.getTime()) {
        return { userId, maySend: legacyAwareMaySend(hit.state, now, policy), state: hit.state };
      }
      const state = await read(userId);
      if (state === null) {
        cache.delete(userId);
        return { userId, maySend: false, state: 'unknown' };
      }
      const allowed = legacyAwareMaySend(state, now, policy);
      if (deps.ttlMs > 0 && allowed) remember(userId, state, now);
      else cache.delete(userId);
      return { userId, maySend: allowed, state };
    },
    /** After a commit that changed the user. */
    invalidate(userId: string): void {
      cache.delete(userId);
    },
  };
}

export type PermissionCheck = ReturnType<typeof createPermissionCheck>;
