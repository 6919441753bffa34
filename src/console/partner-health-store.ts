import type { Queryable } from '../db/port.js';

/** One node's outbox toward one partner (either node kind): the per-partner health view. */
export interface PartnerOutboxHealth {
  partnerId: string;
  pending: number;
  failing: number;
  delivered: number;
  rejected: number;
  lastError: string | null;
  lastDeliveredAt: Date | null;
  nextAttemptAt: Date | null;
}

/**
 * Outbox counts per destination partner, all kinds together. Scans the
 * outbox including history: fine for the sandbox and a console refreshed
 * every few seconds on a node whose history is purged (housekeeping).
 */
export async function partnerOutboxHealth(db: Queryable): Promise<PartnerOutboxHealth[]> {
  const { rows } = await db.query<{
    partner_id: string;
    pending: string;
    failing: string;
    delivered: string;
    rejected: string;
    last_error: string | null;
    last_delivered_at: Date | null;
    next_attempt_at: Date | null;
  }>(
    `SELECT partner_id,
            count(*) FILTER (WHERE state = 'pending') AS pending,
            count(*) FILTER (WHERE state = 'pending' AND last_error IS NOT NULL) AS failing,
            count(*) FILTER (WHERE state = 'delivered') AS delivered,
            count(*) FILTER (WHERE state = 'rejected') AS rejected,
            (array_agg(last_error ORDER BY last_attempt_at DESC NULLS LAST)
               FILTER (WHERE state = 'pending' AND last_error IS NOT NULL))[1] AS last_error,
            max(delivered_at) AS last_delivered_at,
            min(next_attempt_at) FILTER (WHERE state = 'pending') AS next_attempt_at
       FROM outbox GROUP BY partner_id ORDER BY partner_id`,
  );
  return rows.map((r) => ({
    partnerId: r.partner_id,
    pending: Number(r.pending),
    failing: Number(r.failing),
    delivered: Number(r.delivered),
    rejected: Number(r.rejected),
    lastError: r.last_error,
    lastDeliveredAt: r.last_delivered_at,
    nextAttemptAt: r.next_attempt_at,
  }));
}
