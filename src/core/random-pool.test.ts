import { expect, it } from 'vitest';
import { takeRandomBytes } from './random-pool.js';

it('hands out every byte once, across refills of the pool', () => {
  // 1,000 × 16 bytes: several refills of the 4 KiB pool. Equal 16-byte draws
  // would mean bytes handed out twice (chance of a true repeat: ~2^-100).
  const seen = new Set<string>();
  for (let i = 0; i < 1_000; i++) seen.add(Buffer.from(takeRandomBytes(16)).toString('hex'));
  expect(seen.size).toBe(1_000);
});

it('gives the count asked for, and refuses counts it cannot give', () => {
  expect(takeRandomBytes(1)).toHaveLength(1);
  expect(takeRandomBytes(4096)).toHaveLength(4096);
  expect(() => takeRandomBytes(0)).toThrow(RangeError);
  expect(() => takeRandomBytes(4097)).toThrow(RangeError);
  expect(() => takeRandomBytes(1.5)).toThrow(RangeError);
});
