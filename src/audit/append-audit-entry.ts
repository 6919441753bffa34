import { type IdGenerator, newId } from '../core/ids.js';
import type { Queryable } from '../db/port.js';
import { AUDIT_PARTITIONS, type AuditKind, hashCanonicalEntry } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

export interface NewAuditEntry {
  kind: AuditKind;
  subject: string;
  at: Date;
  /** JSON-serializable; phone numbers only keyed-hashed (R11). */
  data: unknown;
}

let appendsSkipped = false;

/**
 * Benchmarks only (`npm run bench -- reconcile --audit-ratio`): skips every
 * append in this process so the audit log's cost can be measured as a
 * throughput ratio of the same work with and without it. No node, command or
 * config calls this; the audit log is not optional in production (R10, R12).
 */
export function skipAuditAppendsForBenchmark(skip: boolean): void {
  appendsSkipped = skip;
}

/**
 * Appends one entry to an audit chain inside the caller's transaction, so the
 * entry commits or rolls back with the change it records. MUST be called in a
 * transaction (`db.transaction(tx => …)`): the head row lock is what keeps the
 * chain linear.
 *
 * Concurrency: the partition is `txid_current() % 16`, so one transaction
 * always appends to one chain (at most one head lock per transaction: audit
 * appends never deadlock each other) and concurrent transactions spread over
 * the 16 chains. Only transactions on the same partition queue, and only from
 * their first append to their commit — call this last in the transaction
 * where possible. The head update is guarded by the seq read, so a misuse
 * outside a transaction fails loudly instead of forking the chain.
 */
export async function appendAuditEntry(
  tx: Queryable,
  input: NewAuditEntry,
  options: { ids?: IdGenerator } = {},
): Promise<{ id: string; partition: number; seq: number; hash: string } | null> {
  if (appendsSkipped) return null;
  const { rows } = await tx.query<{ partition: number; seq: string | number; hash: string }>(
    `SELECT partition, seq, hash FROM audit_heads
      WHERE partition = (txid_current() % ${AUDIT_PARTITIONS})::int FOR UPDATE`,
  );
  const head = rows[0];
  if (!head) throw new Error('audit_heads is missing a partition row: run the migrations');
  const entry = {
    id: (options.ids ?? newId)(),
    partition: Number(head.partition),
    seq: Number(head.seq) + 1,
    at: input.at.toISOString(),
    kind: input.kind,
    subject: input.subject,
    prevHash: head.hash,
  };
  // Encoded once: hashed and stored as this very text (jsonb reads it back
  // as the same value, so verify recomputes the same hash).
  const data = canonicalJson(input.data ?? null);
  const hash = hashCanonicalEntry(entry, data);
  const { rowCount } = await tx.query(
    `WITH appended AS (
       INSERT INTO audit_entries (id, partition, seq, at, kind, subject, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING seq
     )
     UPDATE audit_heads SET seq = (SELECT seq FROM appended), hash = $9
      WHERE partition = $2 AND seq = $3 - 1`,
    [
      entry.id,
      entry.partition,
      entry.seq,
      entry.at,
      entry.kind,
      entry.subject,
      data,
      entry.prevHash,
      hash,
    ],
  );
  if (rowCount !== 1)
    throw new Error('audit chain head moved during append (not in a transaction?)');
  return { id: entry.id, partition: entry.partition, seq: entry.seq, hash };
}
