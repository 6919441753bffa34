import { expect, it } from 'vitest';
import { newId } from './ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

it('makes distinct version-7 ids in creation order, across refills of the random pool', () => {
  // 2,000 ids: several refills of the 256-id pool, most within one millisecond.
  const ids = Array.from({ length: 2_000 }, () => newId());
  for (const id of ids) expect(id).toMatch(UUID_V7);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(ids);
});

it('stamps ids with the current millisecond', () => {
  const before = Date.now();
  const id = newId();
  const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  // The counter may borrow a millisecond ahead when it wraps; never behind.
  expect(ms).toBeGreaterThanOrEqual(before);
  expect(ms).toBeLessThanOrEqual(Date.now() + 1);
});
