import type pg from 'pg';
import type { CrashNetwork } from './crash-network.js';

export interface CrashCounts {
  contractsEnded: number;
  entriesClosed: number;
  noticesWritten: number;
  /** Notices per distinct (messenger, code): one per register entry. */
  distinctNoticeEntries: number;
  noticesDelivered: number;
  noticesPending: number;
  noticesRejected: number;
  deliveryAttempts: number;
  /** received_notices rows across the messengers. */
  noticesReceived: number;
  distinctReceived: number;
  /** Received by a messenger but never written for it by the operator. */
  receivedUnknown: number;
  /** Written for a messenger but not in its received_notices. */
  lost: number;
  /** Notices acted on (received_notices.action = 'suspend'). */
  noticesActedOn: number;
  usersSuspended: number;
  /** Users with exactly one transition to `suspended`. */
  usersSuspendedOnce: number;
  /** Users suspended twice or with two notices acted on. */
  usersActedTwice: number;
  /** Suspensions whose notice is not recorded as acted on for that user. */
  suspensionsWithoutNotice: number;
}

/**
 * Reads the outcome of the crash test straight from the databases: the
 * operator's outbox and register, each messenger's received notices, users
 * and transitions, matched by notification id across schemas.
 */
export async function readCrashCounts(db: pg.Client, net: CrashNetwork): Promise<CrashCounts> {
  const op = net.operatorSchema;
  const one = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  const received = Object.entries(net.messengerSchemas)
    .map(
      ([m, s]) =>
        `SELECT '${m}'::text AS messenger, notification_id, user_id, action FROM ${s}.received_notices`,
    )
    .join(' UNION ALL ');
  const transitions = Object.entries(net.messengerSchemas)
    .map(
      ([m, s]) =>
        `SELECT '${m}'::text AS messenger, user_id, to_state, details FROM ${s}.user_transitions`,
    )
    .join(' UNION ALL ');
  const users = Object.values(net.messengerSchemas)
    .map((s) => `SELECT state FROM ${s}.users`)
    .join(' UNION ALL ');
  const notices = `SELECT partner_id AS messenger, (payload->>'notificationId')::uuid AS notification_id, state
                     FROM ${op}.outbox WHERE kind = 'notice'`;

  const outbox = (
    await db.query<Record<string, string>>(
      `SELECT count(*) AS written,
              count(DISTINCT (partner_id, payload->>'identificationCode')) AS distinct_entries,
              count(*) FILTER (WHERE state = 'delivered') AS delivered,
              count(*) FILTER (WHERE state = 'pending') AS pending,
              count(*) FILTER (WHERE state = 'rejected') AS rejected,
              coalesce(sum(attempts), 0) AS attempts
         FROM ${op}.outbox WHERE kind = 'notice'`,
    )
  ).rows[0] as Record<string, string>;

  const suspendedTransitions = `SELECT messenger, user_id, count(*) AS n FROM (${transitions}) t
                                 WHERE to_state = 'suspended' GROUP BY messenger, user_id`;
  const actions = `SELECT messenger, user_id, count(*) AS n FROM (${received}) r
                    WHERE action <> 'none' GROUP BY messenger, user_id`;
  return {
    contractsEnded: await one(
      `SELECT count(*) AS n FROM ${op}.subscriber_contracts WHERE end_reason = 'terminated'`,
    ),
    entriesClosed: await one(
      `SELECT count(*) AS n FROM ${op}.register_entries WHERE close_reason = 'contract_terminated'`,
    ),
    noticesWritten: Number(outbox.written),
    distinctNoticeEntries: Number(outbox.distinct_entries),
    noticesDelivered: Number(outbox.delivered),
    noticesPending: Number(outbox.pending),
    noticesRejected: Number(outbox.rejected),
    deliveryAttempts: Number(outbox.attempts),
    noticesReceived: await one(`SELECT count(*) AS n FROM (${received}) r`),
    distinctReceived: await one(`SELECT count(DISTINCT notification_id) AS n FROM (${received}) r`),
    receivedUnknown: await one(
      `SELECT count(*) AS n FROM (${received}) r
        WHERE NOT EXISTS (SELECT 1 FROM (${notices}) o
                           WHERE o.messenger = r.messenger AND o.notification_id = r.notification_id)`,
    ),
    lost: await one(
      `SELECT count(*) AS n FROM (${notices}) o
        WHERE NOT EXISTS (SELECT 1 FROM (${received}) r
                           WHERE r.messenger = o.messenger AND r.notification_id = o.notification_id)`,
    ),
    noticesActedOn: await one(`SELECT count(*) AS n FROM (${received}) r WHERE action = 'suspend'`),
    usersSuspended: await one(`SELECT count(*) AS n FROM (${users}) u WHERE state = 'suspended'`),
    usersSuspendedOnce: await one(
      `SELECT count(*) AS n FROM (${suspendedTransitions}) s WHERE n = 1`,
    ),
    usersActedTwice: await one(
      `SELECT count(*) AS n FROM (
         SELECT messenger, user_id FROM (${suspendedTransitions}) s WHERE n > 1
         UNION SELECT messenger, user_id FROM (${actions}) a WHERE n > 1) twice`,
    ),
    suspensionsWithoutNotice: await one(
      `SELECT count(*) AS n FROM (${transitions}) t
        WHERE to_state = 'suspended'
          AND NOT EXISTS (SELECT 1 FROM (${received}) r
                           WHERE r.messenger = t.messenger AND r.user_id = t.user_id
                             AND r.action = 'suspend'
                             AND r.notification_id::text = t.details->>'notificationId')`,
    ),
  };
}
