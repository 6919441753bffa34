import { type AuditEntry, computeAuditHash, GENESIS_HASH } from './audit-entry.js';

/** The first broken entry of one chain, and why. */
export interface AuditBreak {
  partition: number;
  /** The seq where the chain breaks (of the entry found there, or the one missing). */
  seq: number;
  /** The entry found at the break; null when the break is a missing entry at the tail. */
  id: string | null;
  reason: string;
}

export interface ChainHead {
  partition: number;
  seq: number;
  hash: string;
}

/**
 * Walks chains entry by entry (entries fed in partition, seq order) and keeps
 * the first break of each partition. Pure, so the same check serves the
 * database (`audit verify`) and an exported file (`audit verify --file`).
 *
 * What each tamper looks like:
 * - a field edited → the entry's recomputed hash differs (named: that entry);
 * - an entry deleted → the next entry's seq skips one (named: the next entry);
 * - entries reordered (seq swapped) → seq is hashed, so the entry now at the
 *   earlier seq fails its hash (named: that entry);
 * - tail entries deleted → the head row says a later seq than the chain's end.
 */
export class AuditChainChecker {
  readonly breaks = new Map<number, AuditBreak>();
  private readonly cursor = new Map<number, { seq: number; hash: string }>();
  entries = 0;

  /**
   * @param start Where each chain is expected to continue from; a partition not
   * given starts at seq 1 after the genesis hash, unless `fromFirstSeen` is set
   * (an export: the first entry of each partition is taken as the anchor).
   */
  constructor(
    private readonly options: {
      start?: ReadonlyMap<number, { seq: number; hash: string }>;
      fromFirstSeen?: boolean;
    } = {},
  ) {}

  feed(entry: AuditEntry): void {
    this.entries++;
    const p = entry.partition;
    if (this.breaks.has(p)) return;
    const at =
      this.cursor.get(p) ??
      this.options.start?.get(p) ??
      (this.options.fromFirstSeen
        ? { seq: entry.seq - 1, hash: entry.prevHash }
        : { seq: 0, hash: GENESIS_HASH });
    const fail = (reason: string) =>
      this.breaks.set(p, { partition: p, seq: entry.seq, id: entry.id, reason });
    if (entry.seq !== at.seq + 1) {
      fail(
        entry.seq > at.seq + 1
          ? `expected seq ${at.seq + 1} but found ${entry.seq}: entries ${at.seq + 1}..${entry.seq - 1} are missing (deleted)`
          : `seq ${entry.seq} appears again after ${at.seq} (reordered or duplicated)`,
      );
      return;
    }
    const { hash, ...rest } = entry;
    if (computeAuditHash(rest) !== hash) {
      fail('the entry does not match its hash (edited, or moved to another seq)');
      return;
    }
    if (entry.prevHash !== at.hash) {
      fail('prev_hash does not match the previous entry (reordered or the previous entry edited)');
      return;
    }
    this.cursor.set(p, { seq: entry.seq, hash });
  }

  /** Checks each head row against the last entry of its chain (tail truncation). */
  finishWithHeads(heads: readonly ChainHead[]): void {
    for (const head of heads) {
      if (this.breaks.has(head.partition)) continue;
      const end = this.cursor.get(head.partition) ?? { seq: 0, hash: GENESIS_HASH };
      if (head.seq !== end.seq || head.hash !== end.hash) {
        this.breaks.set(head.partition, {
          partition: head.partition,
          seq: end.seq + 1,
          id: null,
          reason:
            head.seq > end.seq
              ? `the chain ends at seq ${end.seq} but its head says ${head.seq}: entries ${end.seq + 1}..${head.seq} are missing (deleted)`
              : `the head (seq ${head.seq}) does not match the last entry (seq ${end.seq})`,
        });
      }
    }
    for (const p of this.cursor.keys()) {
      if (!heads.some((h) => h.partition === p) && !this.breaks.has(p)) {
        this.breaks.set(p, {
          partition: p,
          seq: 1,
          id: null,
          reason: 'no head row for this partition',
        });
      }
    }
  }

  /** Breaks ordered by partition. */
  result(): AuditBreak[] {
    return [...this.breaks.values()].sort((a, b) => a.partition - b.partition);
  }
}
