import { type IdGenerator, newId } from '../core/ids.js';
import { runCombinedWrites, type WritePart } from '../db/combined-writes.js';
import type { Queryable } from '../db/port.js';
import { AUDIT_PARTITIONS, type AuditKind, canonicalEntryText } from './audit-entry.js';
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
 * transaction (`db.transaction(tx => …)`): the head row lock, held to commit,
 * is what keeps the chain linear.
 *
 * Concurrency: the partition is `txid_current() % 16`, so one transaction
 * always appends to one chain (at most one head lock per transaction: audit
 * appends never deadlock each other) and concurrent transactions spread over
 * the 16 chains. Only transactions on the same partition queue, and only from
 * their first append to their commit — call this last in the transaction
 * where possible, or combine its writes with the transaction's last ones
 * (auditAppendWrites).
 */
export async function appendAuditEntry(
  tx: Queryable,
  input: NewAuditEntry,
  options: { ids?: IdGenerator } = {},
): Promise<void> {
  if (appendsSkipped) return;
  const counts = await runCombinedWrites(tx, auditAppendWrites(input, options));
  assertAuditHeadMoved(counts);
}

/** The name of the counted write that moves the head (see auditAppendWrites). */
const HEAD_MOVED = 'audit_head_moved';

/**
 * The append as writes of one statement (db/combined-writes.ts), to run alone
 * or with the caller's own writes: it locks this transaction's head, links
 * the entry to it and moves it, all in that statement. The hash is computed
 * by the database (sha256 over the same canonical bytes the verifier
 * recomputes, audit-entry.ts), because the previous hash is known only once
 * the head is locked; so the head is locked for one round trip less than a
 * read-then-write append, and a caller can append with no round trip of its
 * own. After running them, pass the counts to assertAuditHeadMoved. No writes
 * while appends are skipped.
 */
export function auditAppendWrites(
  input: NewAuditEntry,
  options: { ids?: IdGenerator } = {},
): WritePart[] {
  if (appendsSkipped) return [];
  const id = (options.ids ?? newId)();
  const at = input.at.toISOString();
  // Encoded once: hashed and stored as this very text (jsonb reads it back
  // as the same value, so verify recomputes the same hash).
  const data = canonicalJson(input.data ?? null);
  const text = canonicalEntryText({ at, id, kind: input.kind, subject: input.subject });
  return [
    {
      name: 'audit_head',
      sql: `SELECT partition, seq, hash FROM audit_heads
             WHERE partition = (txid_current() % ${AUDIT_PARTITIONS})::int FOR UPDATE`,
      params: [],
    },
    {
      // Reads the locked head; referenced twice below, so computed once.
      name: 'audit_next',
      sql: `SELECT partition, seq + 1 AS seq, hash AS prev_hash, $2::text AS data,
                   encode(sha256(convert_to(
                     $1 || $2::text || $3 || partition || $4 || hash || $5 || (seq + 1) || $6,
                     'UTF8')), 'hex') AS hash
              FROM audit_head`,
      params: [
        text.beforeData,
        data,
        text.beforePartition,
        text.beforePrevHash,
        text.beforeSeq,
        text.afterSeq,
      ],
    },
    {
      name: 'audit_appended',
      sql: `INSERT INTO audit_entries (id, partition, seq, at, kind, subject, data, prev_hash, hash)
            SELECT $1, partition, seq, $2, $3, $4, data::jsonb, prev_hash, hash FROM audit_next`,
      params: [id, at, input.kind, input.subject],
    },
    {
      // Matched on the partition only. When audit_head waited for another
      // transaction's lock, this statement's snapshot still holds the head
      // as it was before that one moved it; the update then follows the row
      // to its newest version (the one audit_head locked and read) and
      // rechecks only this condition. A condition on the old seq would
      // reject the row before that. Lock, link and move are one statement,
      // so the chain cannot fork even outside a transaction.
      name: HEAD_MOVED,
      sql: `UPDATE audit_heads h SET seq = n.seq, hash = n.hash FROM audit_next n
             WHERE h.partition = n.partition RETURNING 1`,
      params: [],
      counted: true,
    },
  ];
}

/** Throws unless the append's head update happened (see auditAppendWrites). */
export function assertAuditHeadMoved(counts: Record<string, number>): void {
  if (appendsSkipped) return;
  if (counts[HEAD_MOVED] !== 1) {
    throw new Error('audit chain head did not move: audit_heads is missing a partition row?');
  }
}
