import { HOUR_MS, MINUTE_MS } from '../core/clock.js';
import { NOTICE_DEADLINE_MS } from '../core/deadlines.js';

/**
 * Delay before the next attempt after the n-th failed attempt (protocol.md
 * §5): 5 s, 30 s, 2 min, 10 min, 30 min, then every hour. The first five
 * retries take 43 min; the hourly tail still gives some twenty more attempts
 * before the notice deadline (R7, core/deadlines.ts), and the item is never given up.
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

// The longest step: four retries at least inside the notice deadline (R7).
export const MAX_BACKOFF_STEP_MS = NOTICE_DEADLINE_MS / 4;

/** Rejects schedules that could not retry several times within the notice deadline. */
export function assertBackoffSchedule(schedule: readonly number[]): readonly number[] {
  if (schedule.length === 0) throw new Error('backoff schedule must not be empty');
  for (const step of schedule) {
    if (!Number.isInteger(step) || step <= 0 || step > MAX_BACKOFF_STEP_MS) {
      throw new Error(
        `backoff step ${step} ms must be a whole number of ms in (0, ${MAX_BACKOFF_STEP_MS / HOUR_MS} h]`,
      );
    }
  }
  return schedule;
}
