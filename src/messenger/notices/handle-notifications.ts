import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Queryable } from '../../db/port.js';
import type { Notification, NotificationsResponse } from '../../protocol/schemas/index.js';
import type { MessengerIdentifier, UserChange } from '../identification/messenger-identifier.js';
import { findUserByCode, transitionUser } from '../users/user-store.js';

/**
 * Acts on an operator's notices (R7, R8, I2), all notices of one request
 * in one transaction (one commit per request of up to 1,000 notices, not
 * one per notice; the operator retries the whole request if it fails):
 * - a notice already received is acknowledged again and not acted on twice;
 * - a code this messenger does not hold under that operator is rejected
 *   `UNKNOWN_CODE` (the operator then stops sending it);
 * - `number_ported_out`: the same person holds the number, so it is
 *   re-identified at once with the operator that now serves it, without a
 *   new SMS code — the attempt is created in the notice's transaction and
 *   sent after commit (retried until answered);
 * - `contract_terminated` / `subscriber_changed`: suspended at once (no
 *   messaging) with a grace period after which it is deauthorized unless
 *   the user proves possession again and is re-identified.
 * The acknowledgement is sent only after the action committed. Notices are
 * taken in code order so two overlapping deliveries lock users in the same
 * order and cannot deadlock each other.
 */
export async function handleNotifications(
  deps: {
    db: Database;
    clock: Clock;
    ids: IdGenerator;
    identifier: MessengerIdentifier;
    graceMs: number;
    onUserChanged: (tx: Queryable, change: UserChange) => Promise<void>;
    afterUserChanged: (userId: string) => void;
  },
  operatorId: string,
  notifications: readonly Notification[],
): Promise<NotificationsResponse & { reidentify: string[] }> {
  const response: NotificationsResponse & { reidentify: string[] } = {
    acknowledged: [],
    rejected: [],
    reidentify: [],
  };
  const ordered = [...notifications].sort((a, b) =>
    a.identificationCode < b.identificationCode
      ? -1
      : a.identificationCode > b.identificationCode
        ? 1
        : 0,
  );
  const outcomes = await deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const done: Outcome[] = [];
    for (const notice of ordered) {
      done.push(await actOnNotice(tx, deps, operatorId, notice, now));
    }
    return done;
  });
  for (const outcome of outcomes) {
    if (outcome.ack) response.acknowledged.push(outcome.notificationId);
    else response.rejected.push({ notificationId: outcome.notificationId, code: 'UNKNOWN_CODE' });
    if (outcome.userId) deps.afterUserChanged(outcome.userId);
    if (outcome.requestId) response.reidentify.push(outcome.requestId);
  }
  return response;
}

interface Outcome {
  notificationId: string;
  ack: boolean;
  userId?: string;
  requestId?: string | null;
}

type HandlerDeps = Parameters<typeof handleNotifications>[0];

async function actOnNotice(
  tx: Queryable,
  deps: HandlerDeps,
  operatorId: string,
  notice: Notification,
  now: Date,
): Promise<Outcome> {
  const notificationId = notice.notificationId;
  // Seen before (even if the code has since been replaced): acknowledge again.
  const seen = await tx.query('SELECT 1 FROM received_notices WHERE notification_id = $1', [
    notice.notificationId,
  ]);
  if (seen.rowCount > 0) return { notificationId, ack: true };
  const user = await findUserByCode(tx, notice.identificationCode, { lock: true });
  if (!user || user.operatorId !== operatorId) return { notificationId, ack: false };
  // Recorded first: of two deliveries of one notice racing, the second
  // waits on this row's key, then finds it and only acknowledges.
  const recorded = await tx.query(
    `INSERT INTO received_notices
         (notification_id, operator_id, type, code, user_id, occurred_at, due_by, received_at, action)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'none')
       ON CONFLICT (notification_id) DO NOTHING`,
    [
      notice.notificationId,
      operatorId,
      notice.type,
      notice.identificationCode,
      user.userId,
      notice.occurredAt,
      notice.dueBy,
      now,
    ],
  );
  if (recorded.rowCount === 0) return { notificationId, ack: true };

  let action = 'none';
  let requestId: string | null = null;
  if (notice.type === 'number_ported_out') {
    if (user.state === 'identified' || user.state === 'legacy') {
      action = 'reidentify';
      requestId = await deps.identifier.beginAttempt(tx, user, {
        purpose: 'reidentification',
        previousCode: notice.identificationCode,
        possessionVerifiedAt: user.identifiedAt ?? now,
        excludeOperator: operatorId,
        cause: 'number ported out (I2)',
      });
    }
  } else if (
    user.state === 'identified' ||
    user.state === 'legacy' ||
    user.state === 'pending_identification'
  ) {
    action = 'suspend';
    const changed = await transitionUser(tx, deps.ids, user, 'suspended', {
      cause: notice.type,
      at: now,
      patch: { suspendedAt: now, graceUntil: new Date(now.getTime() + deps.graceMs) },
      details: { notificationId: notice.notificationId, operatorId },
    });
    await deps.onUserChanged(tx, { user: changed, cause: notice.type });
  }
  if (action !== 'none') {
    await tx.query('UPDATE received_notices SET action = $2 WHERE notification_id = $1', [
      notice.notificationId,
      action,
    ]);
  }
  await appendAuditEntry(tx, {
    kind: 'notice.received',
    subject: `user:${user.userId}`,
    at: now,
    data: {
      notificationId: notice.notificationId,
      operatorId,
      type: notice.type,
      code: notice.identificationCode,
      userId: user.userId,
      action,
      requestId,
    },
  });
  return { notificationId, ack: true, userId: user.userId, requestId };
}
