import { HOUR_MS, MINUTE_MS } from '../core/clock.js';

/**
 * Delay before the next attempt after the n-th failed attempt (protocol.md
 * §5): 5 s, 30 s, 2 min, 10 min, 30 min, then every hour. The first five
 * retries take 43 min; the hourly tail still gives some twenty more attempts
 * before a 24 h notice deadline (R7), and the item is never given up.
 */
export const DEFAULT_BACKOFF_MS: readonly number[] = [
  5_000,
  30_000,
  2 * MINUTE_MS,
  10 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
];

/** The delay after `attempts` failed attempts (1-based); the last step repeats. */
export function backoffDelayMs(
  attempts: number,
  schedule: readonly number[] = DEFAULT_BACKOFF_MS,
): number {
  if (schedule.length === 0) throw new Error('backoff schedule must not be empty');
  const index = Math.min(Math.max(attempts, 1), schedule.length) - 1;
  return schedule[index] ?? HOUR_MS;
}

/** Rejects schedules that could not retry within a day. */
export function assertBackoffSchedule(schedule: readonly number[]): readonly number[] {
  if (schedule.length === 0) throw new Error('backoff schedule must not be empty');
  for (const step of schedule) {
    if (!Number.isInteger(step) || step <= 0 || step > 6 * HOUR_MS) {
      throw new Error(`backoff step ${step} ms must be a whole number of ms in (0, 6 h]`);
    }
  }
  return schedule;
}
