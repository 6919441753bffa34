import { noticeDueBy } from '../../src/core/deadlines.js';
import type { Database } from '../../src/db/port.js';

/**
 * The same writes as the notice flow, in plain set-based SQL with no HTTP,
 * no signatures and no per-notice transactions: per messenger and per 1,000
 * contracts (one delivery batch), insert the outbox rows, record them as
 * received, suspend the users with their transitions, then mark the rows
 * delivered. One stream per messenger, as the outbox delivers one batch per
 * partner at a time. Returns the notices processed.
 *
 * The operator database needs only the `shared` migrations (outbox); each
 * messenger database is seeded with `seedMessengerUsers`.
 */
export async function runPlainSqlBaseline(options: {
  operatorDb: Database;
  messengers: Array<{ id: string; db: Database }>;
  operatorId: string;
  contracts: number;
  batch: number;
}): Promise<number> {
  const { operatorDb, operatorId, contracts, batch } = options;
  const streams = options.messengers.map(async ({ id, db }) => {
    let done = 0;
    for (let start = 0; start < contracts; start += batch) {
      const end = Math.min(contracts, start + batch) - 1;
      const now = new Date();
      const due = noticeDueBy(now);
      const { rows } = await operatorDb.query<{ id: string; payload: Record<string, string> }>(
        `INSERT INTO outbox (id, kind, partner_id, dedupe_key, payload, created_at, due_by, event_at,
                             next_attempt_at)
         SELECT gen_random_uuid(), 'notice', $1, 'bl:' || $1 || ':' || i,
                jsonb_build_object('notificationId', gen_random_uuid(), 'type', 'contract_terminated',
                                   'identificationCode', md5($1 || ':' || i::text),
                                   'occurredAt', $2::timestamptz, 'dueBy', $3::timestamptz),
                $2, $3, $2, $2
           FROM generate_series($4::int, $5::int) i
         RETURNING id::text AS id, payload`,
        [id, now, due, start, end],
      );
      await db.transaction(async (tx) => {
        const received = await tx.query<{ user_id: string; notification_id: string }>(
          `INSERT INTO received_notices
             (notification_id, operator_id, type, code, user_id, occurred_at, due_by, received_at, action)
           SELECT n.id::uuid, $1, 'contract_terminated', u.identification_code, u.user_id, $4, $5, $4, 'suspend'
             FROM unnest($2::text[], $3::text[]) AS n(id, code)
             JOIN users u ON u.identification_code = n.code
           ON CONFLICT (notification_id) DO NOTHING
           RETURNING user_id::text AS user_id, notification_id::text AS notification_id`,
          [
            operatorId,
            rows.map((r) => r.payload.notificationId),
            rows.map((r) => r.payload.identificationCode),
            now,
            due,
          ],
        );
        await tx.query(
          `UPDATE users SET state = 'suspended', suspended_at = $2, grace_until = $3, updated_at = $2
            WHERE user_id = ANY($1::uuid[])`,
          [received.rows.map((r) => r.user_id), now, due],
        );
        await tx.query(
          `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at, details)
           SELECT gen_random_uuid(), u::uuid, 'identified', 'suspended', 'contract_terminated', $3,
                  jsonb_build_object('notificationId', n, 'operatorId', $4::text)
             FROM unnest($1::text[], $2::text[]) AS t(u, n)`,
          [
            received.rows.map((r) => r.user_id),
            received.rows.map((r) => r.notification_id),
            now,
            operatorId,
          ],
        );
      });
      await operatorDb.query(
        `UPDATE outbox SET state = 'delivered', delivered_at = $2 WHERE id = ANY($1::uuid[])`,
        [rows.map((r) => r.id), new Date()],
      );
      done += rows.length;
    }
    return done;
  });
  const counts = await Promise.all(streams);
  return counts.reduce((a, b) => a + b, 0);
}
