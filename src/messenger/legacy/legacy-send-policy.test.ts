import { describe, expect, it } from 'vitest';
import { legacyAwareMaySend, permissionCacheUntil } from './legacy-send-policy.js';

const cutoff = new Date('2027-01-01T00:00:00Z');

describe('legacy send policy (R9, R6)', () => {
  it('lets legacy users send before the cutoff and not from the cutoff on', () => {
    expect(
      legacyAwareMaySend('legacy', new Date('2026-12-31T23:59:59Z'), { maySendUntil: cutoff }),
    ).toBe(true);
    expect(legacyAwareMaySend('legacy', cutoff, { maySendUntil: cutoff })).toBe(false);
  });

  it('keeps legacy users silent when no cutoff is configured', () => {
    expect(legacyAwareMaySend('legacy', new Date('2020-01-01T00:00:00Z'), {})).toBe(false);
  });

  it('leaves every other state to the lifecycle: only identified users send', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(legacyAwareMaySend('identified', now, {})).toBe(true);
    for (const s of [
      'suspended',
      'pending_identification',
      'deauthorized',
      'unverified',
    ] as const) {
      expect(legacyAwareMaySend(s, now, { maySendUntil: cutoff })).toBe(false);
    }
  });

  it('never caches a legacy permission past the cutoff', () => {
    const now = new Date(cutoff.getTime() - 300);
    expect(permissionCacheUntil('legacy', now, 1000, { maySendUntil: cutoff })).toBe(
      cutoff.getTime(),
    );
    expect(permissionCacheUntil('identified', now, 1000, { maySendUntil: cutoff })).toBe(
      now.getTime() + 1000,
    );
  });
});
