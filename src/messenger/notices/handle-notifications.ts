import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Queryable } from '../../db/port.js';
import type { Notification, NotificationsResponse } from '../../protocol/schemas/index.js';
import type { MessengerIdentifier, UserChange } from '../identification/messenger-identifier.js';
import type { MessengerMetrics } from '../messenger-metrics.js';
import { findUsersByCodes, suspendUsers, type User } from '../users/user-store.js';

export interface NoticeHandlerDeps {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  identifier: MessengerIdentifier;
  graceMs: number;
  /** In the transaction, once for all users the request suspended (one webhook INSERT). */
  onUsersChanged: (tx: Queryable, changes: readonly UserChange[]) => Promise<void>;
  afterUserChanged: (userId: string) => void;
  metrics?: MessengerMetrics | undefined;
}

type Action = 'none' | 'suspend' | 'reidentify';

interface Received {
  notice: Notification;
  user: User;
  action: Action;
  requestId: string | null;
}

const SUSPENDABLE = new Set(['identified', 'legacy', 'pending_identification']);
const REIDENTIFIABLE = new Set(['identified', 'legacy']);

/**
 * Acts on an operator's notices (R7, R8, I2): all notices of one request
 * (up to 1,000) in one transaction with set-based statements, so a backlog
 * drains at batch speed; the operator retries the whole request if it fails.
 * - a notice already received is acknowledged again and not acted on twice;
 * - a code this messenger does not hold under that operator is rejected
 *   `UNKNOWN_CODE` (the operator then stops sending it);
 * - `number_ported_out`: the same person holds the number, so it is
 *   re-identified at once with the operator that now serves it, without a
 *   new SMS code — the attempt is created in this transaction and sent after
 *   commit (retried until answered);
 * - `contract_terminated` / `subscriber_changed`: suspended at once (no
 *   messaging) with a grace period after which it is deauthorized unless
 *   the user proves possession again and is re-identified.
 * The acknowledgement is sent only after the actions committed.
 */
export async function handleNotifications(
  deps: NoticeHandlerDeps,
  operatorId: string,
  notifications: readonly Notification[],
): Promise<NotificationsResponse & { reidentify: string[] }> {
  const response: NotificationsResponse & { reidentify: string[] } = {
    acknowledged: [],
    rejected: [],
    reidentify: [],
  };
  if (notifications.length === 0) return response;
  const outcome = await deps.db.transaction((tx) =>
    actOnNotices(tx, deps, operatorId, notifications),
  );
  for (const notice of notifications) {
    if (outcome.unknown.has(notice.notificationId)) {
      response.rejected.push({ notificationId: notice.notificationId, code: 'UNKNOWN_CODE' });
    } else {
      response.acknowledged.push(notice.notificationId);
    }
  }
  for (const userId of outcome.changedUsers) deps.afterUserChanged(userId);
  if (deps.metrics) {
    const now = deps.clock.now();
    const labels = { operator: operatorId };
    for (const n of outcome.recorded) {
      deps.metrics.noticeDelaySeconds.observe(
        labels,
        (now.getTime() - Date.parse(n.occurredAt)) / 1000,
      );
      if (now.getTime() > Date.parse(n.dueBy)) deps.metrics.noticesLate.inc(labels);
    }
  }
  response.reidentify.push(...outcome.reidentify);
  return response;
}

async function actOnNotices(
  tx: Queryable,
  deps: NoticeHandlerDeps,
  operatorId: string,
  notifications: readonly Notification[],
): Promise<{
  unknown: Set<string>;
  changedUsers: Set<string>;
  reidentify: string[];
  /** Notices received for the first time, for the delay metrics. */
  recorded: Notification[];
}> {
  const now = deps.clock.now();
  const unknown = new Set<string>();
  const changedUsers = new Set<string>();
  const reidentify: string[] = [];

  // Users locked first, in code order (findUsersByCodes), so overlapping
  // deliveries cannot deadlock. Every delivery of a notice locks its user
  // before looking for it: of two deliveries of one notice racing, the second
  // waits here and then finds the first's record below.
  const users = await findUsersByCodes(
    tx,
    [...new Set(notifications.map((n) => n.identificationCode))],
    { lock: true },
  );
  // Seen before (even if the code has since been replaced): acknowledge again.
  const { rows: seenRows } = await tx.query<{ notification_id: string }>(
    'SELECT notification_id FROM received_notices WHERE notification_id = ANY($1::uuid[])',
    [notifications.map((n) => n.notificationId)],
  );
  const seen = new Set(seenRows.map((r) => r.notification_id.toLowerCase()));
  const byCode = new Map(users.map((u) => [u.identificationCode, u]));
  const candidates: Array<{ notice: Notification; user: User }> = [];
  for (const notice of notifications) {
    const id = notice.notificationId.toLowerCase();
    if (seen.has(id)) continue;
    seen.add(id); // the same notice twice in one request is acted on once
    const user = byCode.get(notice.identificationCode);
    if (!user || user.operatorId !== operatorId) unknown.add(notice.notificationId);
    else candidates.push({ notice, user });
  }
  if (candidates.length === 0) return { unknown, changedUsers, reidentify, recorded: [] };

  // Decide in notice order; a user's state after an earlier notice of this
  // request decides what a later one does (one suspension, not two).
  const stateOf = new Map<string, User['state']>();
  const received: Received[] = [];
  const toSuspend: Array<{ user: User; cause: string; details: Record<string, unknown> }> = [];
  for (const { notice, user } of candidates) {
    const state = stateOf.get(user.userId) ?? user.state;
    let action: Action = 'none';
    let requestId: string | null = null;
    if (notice.type === 'number_ported_out') {
      if (REIDENTIFIABLE.has(state)) {
        action = 'reidentify';
        // Rare next to terminations: one attempt at a time is fine here.
        requestId = await deps.identifier.beginAttempt(tx, user, {
          purpose: 'reidentification',
          previousCode: notice.identificationCode,
          possessionVerifiedAt: user.identifiedAt ?? now,
          excludeOperator: operatorId,
          cause: 'number ported out (I2)',
        });
        stateOf.set(user.userId, 'pending_identification');
        changedUsers.add(user.userId);
        if (requestId) reidentify.push(requestId);
      }
    } else if (SUSPENDABLE.has(state)) {
      action = 'suspend';
      toSuspend.push({
        user: { ...user, state },
        cause: notice.type,
        details: { notificationId: notice.notificationId, operatorId },
      });
      stateOf.set(user.userId, 'suspended');
    }
    received.push({ notice, user, action, requestId });
  }

  // Recorded with the action taken, in one write. The user locks make a
  // concurrent record of the same notice impossible; the conflict clause and
  // the count are the safety net: if it ever happened, the whole request
  // rolls back and the operator's retry finds the notice seen.
  const { rowCount } = await tx.query(
    `INSERT INTO received_notices
       (notification_id, operator_id, type, code, user_id, occurred_at, due_by, received_at, action)
     SELECT r.id, $1, r.type, r.code, r.user_id, r.occurred_at, r.due_by, $2, r.action
       FROM unnest($3::uuid[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[],
                   $8::timestamptz[], $9::text[])
         AS r(id, type, code, user_id, occurred_at, due_by, action)
     ON CONFLICT (notification_id) DO NOTHING`,
    [
      operatorId,
      now,
      received.map((r) => r.notice.notificationId),
      received.map((r) => r.notice.type),
      received.map((r) => r.notice.identificationCode),
      received.map((r) => r.user.userId),
      received.map((r) => r.notice.occurredAt),
      received.map((r) => r.notice.dueBy),
      received.map((r) => r.action),
    ],
  );
  if (rowCount !== received.length) {
    throw new Error(
      `notices recorded concurrently by another delivery (${received.length - rowCount}); the operator will retry`,
    );
  }

  const suspended = await suspendUsers(tx, deps.ids, toSuspend, {
    at: now,
    graceUntil: new Date(now.getTime() + deps.graceMs),
  });
  const causeOf = new Map(toSuspend.map((m) => [m.user.userId, m.cause]));
  if (suspended.length > 0) {
    await deps.onUsersChanged(
      tx,
      suspended.map((user) => ({ user, cause: causeOf.get(user.userId) ?? 'notice' })),
    );
  }
  for (const user of suspended) changedUsers.add(user.userId);

  // One audit entry for the request's notices and the suspensions
  // they caused, appended last so the chain head is held only until commit.
  // Each list is kept as parallel columns (item n at position n of each), as
  // the operator's batch entry: up to 1,000 objects repeating their key names
  // would make the entry larger and its canonical encoding slower.
  if (received.length > 0) {
    await appendAuditEntry(tx, {
      kind: 'notices.received',
      subject: `notices:${operatorId}`,
      at: now,
      data: {
        operatorId,
        notices: {
          notificationId: received.map((r) => r.notice.notificationId),
          type: received.map((r) => r.notice.type),
          code: received.map((r) => r.notice.identificationCode),
          userId: received.map((r) => r.user.userId),
          action: received.map((r) => r.action),
          requestId: received.map((r) => r.requestId),
        },
        transitions: {
          userId: toSuspend.map((m) => m.user.userId),
          from: toSuspend.map((m) => m.user.state),
          to: 'suspended',
          cause: toSuspend.map((m) => m.cause),
        },
      },
    });
  }
  return { unknown, changedUsers, reidentify, recorded: received.map((r) => r.notice) };
}
