import type { Queryable } from '../db/port.js';
import type { AuditEntry } from './audit-entry.js';
import { listAuditHeads, streamAuditEntries } from './audit-store.js';
import { type AuditBreak, AuditChainChecker, type ChainHead } from './check-audit-chain.js';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first break of each broken chain, by partition. */
  breaks: AuditBreak[];
  /** The heads as read: an auditor may record them to detect a later rewrite. */
  heads: ChainHead[];
}

/**
 * Walks every chain of the node's audit log, recomputing each hash and
 * checking seq continuity, links and heads. Read-only; safe while writers
 * run — the heads are read first, so entries appended during the walk are
 * beyond them and ignored.
 */
export async function verifyAuditLog(db: Queryable): Promise<AuditVerification> {
  const heads = await listAuditHeads(db);
  const limit = new Map(heads.map((h) => [h.partition, h.seq]));
  const checker = new AuditChainChecker();
  for await (const entry of streamAuditEntries(db)) {
    const headSeq = limit.get(entry.partition);
    if (headSeq !== undefined && entry.seq > headSeq) continue;
    checker.feed(entry);
  }
  checker.finishWithHeads(heads);
  const breaks = checker.result();
  return { ok: breaks.length === 0, entries: checker.entries, breaks, heads };
}

/**
 * Checks exported entries (an auditor's NDJSON file): each partition must be
 * a contiguous, intact piece of its chain, anchored at its first entry's
 * prev_hash (compare that with an earlier export or recorded head).
 */
export function verifyAuditEntries(entries: Iterable<AuditEntry>): AuditVerification {
  const sorted = [...entries].sort((a, b) => a.partition - b.partition || a.seq - b.seq);
  const checker = new AuditChainChecker({ fromFirstSeen: true });
  for (const entry of sorted) checker.feed(entry);
  const breaks = checker.result();
  return { ok: breaks.length === 0, entries: checker.entries, breaks, heads: [] };
}
