import { v7 as uuidv7 } from 'uuid';

/** Generates ids; injected so tests can make them predictable. */
export type IdGenerator = () => string;

/** UUIDv7: time-ordered, so primary keys stay index-friendly at national scale. */
export const newId: IdGenerator = () => uuidv7();

export function createSequentialIds(prefix = '00000000-0000-7000-8000-'): IdGenerator {
  let n = 0;
  return () => `${prefix}${(++n).toString(16).padStart(12, '0')}`;
}
