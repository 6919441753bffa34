import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically random bytes, drawn from a pool that is refilled from
 * the system's CSPRNG 4 KiB at a time. Asking the system for a few bytes per
 * call cost about 5 µs on our test machine, more than the rest of making an
 * id; ids (ids.ts) and signature nonces take 16 bytes each, one per id or
 * signed request.
 *
 * The returned view is valid until the next call that refills the pool:
 * read or copy it at once. Every byte is handed out once.
 */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

export function takeRandomBytes(count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 1 || count > pool.length) {
    throw new RangeError(`takeRandomBytes: count must be 1..${pool.length}, got ${count}`);
  }
  if (poolAt + count > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = pool.subarray(poolAt, poolAt + count);
  poolAt += count;
  return bytes;
}
