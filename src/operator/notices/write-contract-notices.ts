import { HOUR_MS } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { enqueueOutbox } from '../../outbox/index.js';
import type { Notification, NotificationType } from '../../protocol/schemas/index.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';

/** R7: every messenger in the register must be notified within one day. */
export const NOTICE_DEADLINE_MS = 24 * HOUR_MS;

/**
 * Closes every open register entry of a contract and writes one notice per
 * entry into the outbox — inside the caller's transaction, the same one that
 * ends the contract (R7, protocol.md §5), so a contract never ends without
 * its notices and a notice is never sent for a contract that did not end.
 * `dueBy` = occurredAt + 24 h. Returns how many notices were written.
 *
 * Concurrency: the UPDATE … RETURNING takes each entry exactly once even if
 * two transactions race (the loser finds no open entries); dedupe keys make
 * a re-applied event add no second notice.
 */
export async function writeContractNotices(
  tx: Queryable,
  deps: { ids: IdGenerator; now: Date },
  change: {
    eventId: string;
    type: NotificationType;
    msisdn: string;
    contractId: string;
    occurredAt: Date;
  },
): Promise<number> {
  const { rows } = await tx.query<{ messenger_id: string; code: string }>(
    `UPDATE register_entries SET closed_at = $3, close_reason = $4
     WHERE msisdn = $1 AND contract_id = $2 AND closed_at IS NULL
     RETURNING messenger_id, code`,
    [msisdnToKey(change.msisdn), change.contractId, change.occurredAt, change.type],
  );
  if (rows.length === 0) return 0;
  const dueBy = new Date(change.occurredAt.getTime() + NOTICE_DEADLINE_MS);
  await enqueueOutbox(
    tx,
    rows.map((row) => {
      const payload: Notification = {
        notificationId: deps.ids(),
        type: change.type,
        identificationCode: row.code,
        occurredAt: change.occurredAt.toISOString(),
        dueBy: dueBy.toISOString(),
      };
      return {
        kind: 'notice',
        partnerId: row.messenger_id,
        dedupeKey: `${change.eventId}:${row.messenger_id}:${row.code}`,
        payload,
        dueBy,
      };
    }),
    { now: deps.now, newId: deps.ids },
  );
  return rows.length;
}
