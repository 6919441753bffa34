import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortIndexesByKey } from '../../src/routing/sort-indexes-by-key.js';

describe('sortIndexesByKey', () => {
  it('orders keys ascending and keeps equal keys in input order (stable)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }),
        fc.boolean(),
        (raw, fewKeys) => {
          const keys = Uint32Array.from(fewKeys ? raw.map((k) => k % 5) : raw);
          const order = [...sortIndexesByKey(keys)];
          const expected = [...keys.keys()].sort((a, b) => keys[a]! - keys[b]! || a - b);
          expect(order).toEqual(expected);
        },
      ),
    );
  });
});
