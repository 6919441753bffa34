import type { OutboxRow, OutboxState } from './outbox-types.js';

/** The columns of `outbox` as selected by the stores (payload only on request). */
export const OUTBOX_COLUMNS = `id::text AS id, kind, partner_id, dedupe_key, state, created_at, due_by,
  next_attempt_at, attempts, last_attempt_at, claimed_by, claimed_until, last_error,
  rejection_code, delivered_at, rejected_at, alerted_at`;

export interface OutboxDbRow {
  id: string;
  kind: string;
  partner_id: string;
  dedupe_key: string;
  payload?: unknown;
  state: OutboxState;
  created_at: Date;
  due_by: Date | null;
  next_attempt_at: Date;
  attempts: number;
  last_attempt_at: Date | null;
  claimed_by: string | null;
  claimed_until: Date | null;
  last_error: string | null;
  rejection_code: string | null;
  delivered_at: Date | null;
  rejected_at: Date | null;
  alerted_at: Date | null;
}

export function toOutboxRow(r: OutboxDbRow): OutboxRow {
  return {
    id: r.id,
    kind: r.kind,
    partnerId: r.partner_id,
    dedupeKey: r.dedupe_key,
    ...(r.payload === undefined ? {} : { payload: r.payload }),
    state: r.state,
    createdAt: r.created_at,
    dueBy: r.due_by,
    nextAttemptAt: r.next_attempt_at,
    attempts: Number(r.attempts),
    lastAttemptAt: r.last_attempt_at,
    claimedBy: r.claimed_by,
    claimedUntil: r.claimed_until,
    lastError: r.last_error,
    rejectionCode: r.rejection_code,
    deliveredAt: r.delivered_at,
    rejectedAt: r.rejected_at,
    alertedAt: r.alerted_at,
  };
}
