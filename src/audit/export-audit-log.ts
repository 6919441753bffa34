import type { Queryable } from '../db/port.js';
import { findSeqRanges, streamAuditEntries } from './audit-store.js';

/**
 * Writes the entries of a time range as NDJSON, one entry per line with its
 * seq, prev_hash and hash, ordered by partition and seq. Per partition the
 * export is the contiguous seq range covering every entry with `at` in
 * [from, to) — so an auditor can re-verify it (`audit verify --file`) from
 * the first entry's prev_hash; an entry whose `at` is just outside the range
 * may appear when clocks of concurrent writers disagree. Returns the count.
 */
export async function exportAuditLog(
  db: Queryable,
  range: { from: Date | null; to: Date | null },
  writeLine: (line: string) => void | Promise<void>,
): Promise<number> {
  let count = 0;
  for (const r of await findSeqRanges(db, range)) {
    for await (const entry of streamAuditEntries(db, {
      partition: r.partition,
      fromSeq: r.fromSeq,
      toSeq: r.toSeq,
    })) {
      await writeLine(JSON.stringify(entry));
      count++;
    }
  }
  return count;
}
