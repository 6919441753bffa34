import type { UserState } from '../users/user-states.js';

/**
 * The documented policy for users awaiting reconciliation (R9 with R6):
 * a `legacy` user may send messages only while `maySendUntil` (config
 * `messenger.legacy.maySendUntil`) lies in the future; without a cutoff they
 * may not send. Every other state follows the lifecycle: only `identified`
 * sends. Pure.
 */
export function legacyAwareMaySend(
  state: UserState,
  now: Date,
  policy: { maySendUntil?: Date | undefined },
): boolean {
  if (state === 'identified') return true;
  if (state === 'legacy') {
    return policy.maySendUntil !== undefined && now.getTime() < policy.maySendUntil.getTime();
  }
  return false;
}

/**
 * How long a "may send" answer for this state may be cached from `now`: a
 * legacy user's permission must not outlive the cutoff in any cache.
 */
export function permissionCacheUntil(
  state: UserState,
  now: Date,
  ttlMs: number,
  policy: { maySendUntil?: Date | undefined },
): number {
  const ttlEnd = now.getTime() + ttlMs;
  if (state === 'legacy' && policy.maySendUntil) {
    return Math.min(ttlEnd, policy.maySendUntil.getTime());
  }
  return ttlEnd;
}

/** The policy as the config states it (`messenger.legacy.maySendUntil`). */
export function legacySendPolicy(legacy: { maySendUntil?: string | undefined }): {
  maySendUntil?: Date;
} {
  return legacy.maySendUntil ? { maySendUntil: new Date(legacy.maySendUntil) } : {};
}
