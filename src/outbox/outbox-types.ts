/**
 * The transactional outbox (protocol.md §5), shared by both node kinds.
 *
 * Glossary:
 * - **item**: one outbound message (an R7 notice, an identification-result
 *   callback, a webhook) stored as a row of `outbox`; `payload` is what the
 *   transport sends, the outbox never looks inside it.
 * - **kind**: what sort of message it is (`notice`, `identification_result`,
 *   `webhook`, …); a batch never mixes kinds.
 * - **partner**: the destination participant (`partner_id`); a batch never
 *   mixes partners, so it can go in one request (≤ 1,000 notices, §3).
 * - **dedupe key**: unique per kind; enqueueing the same key again is a no-op,
 *   so a retried decision never sends the same message twice.
 * - **lease**: a claimed item belongs to one worker (`claimed_by`) until
 *   `claimed_until`; after that any worker may claim it again. On
 *   PostgreSQL a worker holds its claim by row locks in an open transaction
 *   instead (see `ClaimHold`); the delivery deadline is the same.
 * - **due by**: the compliance deadline (R7: 24 h, R10/R12); an item still
 *   undelivered as it nears raises a deadline-risk alert once.
 */
export type OutboxState = 'pending' | 'delivered' | 'rejected';

export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'delivered', 'rejected'];

/** Well-known kinds; any other string is accepted too. */
export type OutboxKind = 'notice' | 'identification_result' | 'webhook' | (string & {});

export interface NewOutboxItem {
  kind: OutboxKind;
  partnerId: string;
  dedupeKey: string;
  /** JSON-serializable; never logged (it may carry codes, R11). */
  payload: unknown;
  /** Compliance deadline, if any. */
  dueBy?: Date | null;
  /** When the event the item reports happened (a notice's contract end), if it has one. */
  eventAt?: Date | null;
  /** First attempt not before this time (default: now). */
  notBefore?: Date;
}

/** An item handed to a transport inside a claimed batch. */
export interface ClaimedOutboxItem {
  id: string;
  dedupeKey: string;
  payload: unknown;
  /** Including the current one. */
  attempts: number;
  createdAt: Date;
  dueBy: Date | null;
  /** When the row was due, before the claim moved its next attempt to the lease end. */
  dueAt: Date;
}

/**
 * How a claimed batch is held until its outcome is recorded: a lease stored
 * in the rows, named by the worker id (any connection may record the
 * outcome), or the row locks of the open transaction the claim ran in
 * (PostgreSQL, claimDueBatchHeld: the outcome is recorded in that
 * transaction, which counts the attempt then).
 */
export type ClaimHold = string | { workerId: string; heldSince: Date };

export interface ClaimedBatch {
  kind: string;
  partnerId: string;
  /** The lease ends here; the delivery must be over by then. */
  claimedUntil: Date;
  hold: ClaimHold;
  items: ClaimedOutboxItem[];
}

/** A full row, for operations (inspect) and tests. */
export interface OutboxRow {
  id: string;
  kind: string;
  partnerId: string;
  dedupeKey: string;
  payload?: unknown;
  state: OutboxState;
  createdAt: Date;
  dueBy: Date | null;
  nextAttemptAt: Date;
  attempts: number;
  lastAttemptAt: Date | null;
  claimedBy: string | null;
  claimedUntil: Date | null;
  lastError: string | null;
  rejectionCode: string | null;
  deliveredAt: Date | null;
  rejectedAt: Date | null;
  alertedAt: Date | null;
}

/** What a transport reports for a batch; ids not mentioned count as failed. */
export interface DeliveryOutcome {
  delivered: string[];
  rejected: Array<{ id: string; code: string }>;
  failed?: Array<{ id: string; error: string }>;
}

/**
 * Delivers one batch (one partner, one kind) in as few requests as the
 * transport likes. Throwing fails the whole batch. `signal` aborts when the
 * lease ends: a transport must not keep sending after that.
 */
export type DeliverBatch = (
  batch: ClaimedBatch,
  options: { signal: AbortSignal },
) => Promise<DeliveryOutcome>;
