import type { Queryable } from '../db/port.js';
import type { AuditEntry } from './audit-entry.js';
import type { ChainHead } from './check-audit-chain.js';

interface EntryRow {
  id: string;
  partition: number;
  seq: string | number;
  at: Date | string;
  kind: string;
  subject: string;
  data: unknown;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'id::text AS id, partition, seq, at, kind, subject, data, prev_hash, hash';

function toEntry(r: EntryRow): AuditEntry {
  return {
    id: r.id,
    partition: Number(r.partition),
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    kind: r.kind,
    subject: r.subject,
    data: r.data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export async function listAuditHeads(db: Queryable): Promise<ChainHead[]> {
  const { rows } = await db.query<{ partition: number; seq: string | number; hash: string }>(
    'SELECT partition, seq, hash FROM audit_heads ORDER BY partition',
  );
  return rows.map((r) => ({ partition: Number(r.partition), seq: Number(r.seq), hash: r.hash }));
}

/**
 * Every entry in (partition, seq) order, a page at a time (keyset), so a
 * chain of millions is walked in bounded memory.
 */
export async function* streamAuditEntries(
  db: Queryable,
  options: { pageSize?: number; partition?: number; fromSeq?: number; toSeq?: number } = {},
): AsyncGenerator<AuditEntry> {
  const pageSize = options.pageSize ?? 5_000;
  let after: [number, number] = [options.partition ?? -1, (options.fromSeq ?? 1) - 1];
  for (;;) {
    const { rows } = await db.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_entries
        WHERE (partition, seq) > ($1, $2)
          AND ($4::int IS NULL OR partition = $4) AND ($5::bigint IS NULL OR seq <= $5)
        ORDER BY partition, seq LIMIT $3`,
      [after[0], after[1], pageSize, options.partition ?? null, options.toSeq ?? null],
    );
    for (const row of rows) yield toEntry(row);
    const last = rows[rows.length - 1];
    if (!last || rows.length < pageSize) return;
    after = [Number(last.partition), Number(last.seq)];
  }
}

/**
 * Per partition, the seq range that covers every entry with `at` in
 * [from, to): the export is then a contiguous piece of each chain that an
 * auditor can re-verify from its first prev_hash.
 */
export async function findSeqRanges(
  db: Queryable,
  range: { from: Date | null; to: Date | null },
): Promise<Array<{ partition: number; fromSeq: number; toSeq: number }>> {
  const { rows } = await db.query<{ partition: number; from_seq: string; to_seq: string }>(
    `SELECT partition, min(seq) AS from_seq, max(seq) AS to_seq FROM audit_entries
      WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)
      GROUP BY partition ORDER BY partition`,
    [range.from, range.to],
  );
  return rows.map((r) => ({
    partition: Number(r.partition),
    fromSeq: Number(r.from_seq),
    toSeq: Number(r.to_seq),
  }));
}
