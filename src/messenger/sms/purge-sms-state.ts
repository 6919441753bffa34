import type { Database } from '../../db/port.js';
import { purgeChallenges } from './sms-challenge-store.js';
import type { SmsCodeDeps } from './sms-code-deps.js';
import { purgeRateState } from './sms-rate-limit-store.js';

/**
 * R11: deletes challenges expired more than `retainSeconds` ago (kept that
 * long so a late attempt still gets "expired" rather than "not found"), closed
 * rate windows and throttles older than the resend interval. Safe to run on
 * every instance at once.
 */
export async function purgeSmsState(
  db: Database,
  deps: Pick<SmsCodeDeps, 'clock' | 'limits'>,
  retainSeconds = 86_400,
): Promise<number> {
  const now = deps.clock.now();
  const challenges = await purgeChallenges(db, new Date(now.getTime() - retainSeconds * 1000));
  const rates = await purgeRateState(
    db,
    now,
    new Date(now.getTime() - deps.limits.resendIntervalSeconds * 1000),
  );
  return challenges + rates;
}
