import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import type { SmsSender } from './sms-sender.js';

/**
 * The development sender: messages go to the `sms_dev_outbox` table, where
 * the sandbox shows them as an inbox. It holds numbers and codes in clear,
 * so it is for development and the sandbox only (R11).
 */
export function createDevOutboxSender(deps: {
  db: Queryable;
  clock: Clock;
  ids: IdGenerator;
}): SmsSender {
  return {
    async send(message) {
      const id = deps.ids();
      await deps.db.query(
        `INSERT INTO sms_dev_outbox (id, to_msisdn, text, reference, created_at)
         VALUES ($1, $2, $3, $4, $5)`,
        [id, message.to, message.text, message.reference, deps.clock.now()],
      );
      return { messageId: id };
    },
    close: async () => {},
  };
}

export interface DevOutboxMessage {
  id: string;
  to: string;
  text: string;
  reference: string;
  createdAt: Date;
}

/** The newest messages first, optionally for one recipient (E.164). */
export async function listDevOutbox(
  db: Queryable,
  options: { to?: string | undefined; limit: number },
): Promise<DevOutboxMessage[]> {
  const limit = Math.max(1, Math.min(500, Math.floor(options.limit)));
  const { rows } = await db.query<{
    id: string;
    to_msisdn: string;
    text: string;
    reference: string;
    created_at: Date | string;
  }>(
    `SELECT id, to_msisdn, text, reference, created_at FROM sms_dev_outbox
     WHERE ($1::text IS NULL OR to_msisdn = $1)
     ORDER BY created_at DESC, id DESC LIMIT $2`,
    [options.to ?? null, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    to: r.to_msisdn,
    text: r.text,
    reference: r.reference,
    createdAt: new Date(r.created_at),
  }));
}
