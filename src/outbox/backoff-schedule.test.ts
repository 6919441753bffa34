import { describe, expect, it } from 'vitest';
import { HOUR_MS } from '../core/clock.js';
import { assertBackoffSchedule, backoffDelayMs, DEFAULT_BACKOFF_MS } from './backoff-schedule.js';

describe('backoff schedule', () => {
  it('steps 5 s, 30 s, 2 min, 10 min, 30 min, then repeats one hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelayMs(n))).toEqual([
      5_000,
      30_000,
      120_000,
      600_000,
      1_800_000,
      HOUR_MS,
      HOUR_MS,
      HOUR_MS,
    ]);
  });

  it('fits at least twenty attempts inside the 24 h notice deadline (R7)', () => {
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + backoffDelayMs(attempts) < 24 * HOUR_MS) elapsed += backoffDelayMs(attempts++);
    expect(attempts).toBeGreaterThanOrEqual(20);
  });

  it('refuses empty, non-positive or overlong steps', () => {
    expect(() => assertBackoffSchedule([])).toThrow(/empty/);
    expect(() => assertBackoffSchedule([0])).toThrow(/step/);
    expect(() => assertBackoffSchedule([7 * HOUR_MS])).toThrow(/step/);
    expect(assertBackoffSchedule(DEFAULT_BACKOFF_MS)).toBe(DEFAULT_BACKOFF_MS);
  });
});
