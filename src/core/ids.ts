import { v7 as uuidv7 } from 'uuid';
import { takeRandomBytes } from './random-pool.js';

/** Generates ids; injected so tests can make them predictable. */
export type IdGenerator = () => string;

// The library's own v7() asks the system for 16 random bytes per id, which
// was most of an id's cost (about 5 µs): a legacy batch makes up to 10,000
// register entries at a time. The bytes come from the shared pool instead.

// RFC 9562 §6.2 method 1: a 32-bit counter, seeded at random each new
// millisecond, keeps ids made within one millisecond in creation order (the
// library does the same only when it draws its own bytes).
let lastMs = Number.NEGATIVE_INFINITY;
let seq = 0;

/** UUIDv7: time-ordered, so primary keys stay index-friendly at national scale. */
export const newId: IdGenerator = () => {
  const random = takeRandomBytes(16);
  const now = Date.now();
  if (now > lastMs) {
    seq =
      (((random[6] ?? 0) & 0x7f) << 24) |
      ((random[7] ?? 0) << 16) |
      ((random[8] ?? 0) << 8) |
      (random[9] ?? 0);
    lastMs = now;
  } else {
    seq = (seq + 1) | 0;
    // The counter wrapped: borrow the next millisecond, as the RFC allows.
    if (seq === 0) lastMs++;
  }
  return uuidv7({ msecs: lastMs, seq, random });
};

export function createSequentialIds(prefix = '00000000-0000-7000-8000-'): IdGenerator {
  let n = 0;
  return () => `${prefix}${(++n).toString(16).padStart(12, '0')}`;
}
