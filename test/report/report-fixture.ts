import { randomUUID } from 'node:crypto';
import { migrate } from '../../src/db/migrator.js';
import { claimNodeIdentity } from '../../src/db/node-identity-store.js';
import type { Database } from '../../src/db/port.js';

/**
 * Planted rows for the compliance report, with the figures worked out by
 * hand in `report.test.ts`. The range is 2026-03-01 (UTC) and the report is
 * judged as of 2026-03-02T12:00Z. Times are written `d hh:mm:ss` with d the
 * day of March, or a full ISO string outside it.
 */
export const FIXTURE_RANGE = {
  from: new Date('2026-03-01T00:00:00Z'),
  to: new Date('2026-03-02T00:00:00Z'),
};
export const FIXTURE_AS_OF = new Date('2026-03-02T12:00:00Z');
/** A number stored in the messenger's users table; it must never reach a report (R11). */
export const FIXTURE_MSISDN = '+79161234567';

const at = (t: string): Date => {
  const m = /^(\d+) (\d\d):(\d\d):(\d\d)(\.\d+)?$/.exec(t);
  if (!m) return new Date(t);
  return new Date(`2026-03-${m[1]?.padStart(2, '0')}T${m[2]}:${m[3]}:${m[4]}${m[5] ?? ''}Z`);
};
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);
const MIN20 = 20 * 60_000;
const H24 = 24 * 3600_000;

export interface PlantedRequest {
  id: string;
  messenger: string;
  received: string;
  answered: string | null;
  decidedBy?: 'fast' | 'checker' | 'sweeper';
}

/** Operator side: requests to answer in 20 minutes, notices in 24 hours. */
export const OPERATOR_REQUESTS: PlantedRequest[] = [
  {
    id: 'a0000000-0000-4000-8000-000000000001',
    messenger: 'tamtam',
    received: '1 10:00:00',
    answered: '1 10:00:01',
    decidedBy: 'fast',
  },
  {
    id: 'a0000000-0000-4000-8000-000000000002',
    messenger: 'tamtam',
    received: '1 10:05:00',
    answered: '1 10:05:04',
    decidedBy: 'fast',
  },
  {
    id: 'a0000000-0000-4000-8000-000000000003',
    messenger: 'tamtam',
    received: '1 11:00:00',
    answered: '1 11:19:00',
    decidedBy: 'checker',
  },
  // Planted miss: answered 30 s after the 20-minute line.
  {
    id: 'a0000000-0000-4000-8000-000000000004',
    messenger: 'tamtam',
    received: '1 12:00:00',
    answered: '1 12:20:30',
    decidedBy: 'checker',
  },
  // Planted miss: still pending, its deadline (2 00:10) passed before the as-of time.
  {
    id: 'a0000000-0000-4000-8000-000000000005',
    messenger: 'tamtam',
    received: '1 23:50:00',
    answered: null,
  },
  // Outside the range on either side.
  {
    id: 'a0000000-0000-4000-8000-000000000006',
    messenger: 'tamtam',
    received: '2 01:00:00',
    answered: '2 01:30:00',
    decidedBy: 'sweeper',
  },
  {
    id: 'a0000000-0000-4000-8000-000000000007',
    messenger: 'tamtam',
    received: '2026-02-28T23:59:59Z',
    answered: '2026-03-01T00:30:00Z',
    decidedBy: 'sweeper',
  },
  {
    id: 'a0000000-0000-4000-8000-000000000008',
    messenger: 'vk',
    received: '1 09:00:00',
    answered: '1 09:00:00.5',
    decidedBy: 'fast',
  },
  // Exactly on the line counts as in time (R3: "within 20 minutes").
  {
    id: 'a0000000-0000-4000-8000-000000000009',
    messenger: 'vk',
    received: '1 09:30:00',
    answered: '1 09:50:00',
    decidedBy: 'sweeper',
  },
];

export interface PlantedNotice {
  id: string;
  partner: string;
  kind?: string;
  occurred: string;
  state: 'pending' | 'delivered' | 'rejected';
  at?: string;
}

export const OPERATOR_NOTICES: PlantedNotice[] = [
  {
    id: 'b0000000-0000-4000-8000-000000000001',
    partner: 'tamtam',
    occurred: '1 08:00:00',
    state: 'delivered',
    at: '1 08:00:05',
  },
  // Planted miss: acknowledged an hour after its 24-hour deadline.
  {
    id: 'b0000000-0000-4000-8000-000000000002',
    partner: 'tamtam',
    occurred: '1 09:00:00',
    state: 'delivered',
    at: '2 10:00:00',
  },
  // Planted miss: due 2 10:00, still unacknowledged at the as-of time.
  {
    id: 'b0000000-0000-4000-8000-000000000003',
    partner: 'tamtam',
    occurred: '1 10:00:00',
    state: 'pending',
  },
  // Awaiting: due 2 13:00, after the as-of time.
  {
    id: 'b0000000-0000-4000-8000-000000000004',
    partner: 'tamtam',
    occurred: '1 13:00:00',
    state: 'pending',
  },
  {
    id: 'b0000000-0000-4000-8000-000000000005',
    partner: 'tamtam',
    occurred: '1 14:00:00',
    state: 'rejected',
    at: '1 14:00:02',
  },
  {
    id: 'b0000000-0000-4000-8000-000000000006',
    partner: 'tamtam',
    occurred: '2026-02-28T08:00:00Z',
    state: 'delivered',
    at: '2026-03-01T09:00:00Z',
  },
  {
    id: 'b0000000-0000-4000-8000-000000000007',
    partner: 'vk',
    occurred: '1 20:00:00',
    state: 'delivered',
    at: '1 20:01:00',
  },
  // Not a notice: a callback in the same outbox is no part of the R7 figures.
  {
    id: 'b0000000-0000-4000-8000-000000000008',
    partner: 'tamtam',
    kind: 'identification_result',
    occurred: '1 10:00:00',
    state: 'pending',
  },
];

export async function plantOperatorFixture(db: Database): Promise<void> {
  await migrate(db, ['shared', 'operator']);
  await claimNodeIdentity(db, 'operator', 'mts');
  for (const r of OPERATOR_REQUESTS) {
    const received = at(r.received);
    await db.query(
      `INSERT INTO identification_requests
         (messenger_id, request_id, msisdn_hash, code, purpose, received_at, answer_by, state,
          answered_at, decided_by)
       VALUES ($1, $2, 'h', $3, 'registration', $4, $5, $6, $7, $8)`,
      [
        r.messenger,
        r.id,
        `code-${r.id}`,
        received,
        plus(received, MIN20),
        r.answered ? 'confirmed' : 'pending',
        r.answered ? at(r.answered) : null,
        r.decidedBy ?? null,
      ],
    );
  }
  for (const n of OPERATOR_NOTICES) {
    const occurred = at(n.occurred);
    const done = n.at ? at(n.at) : null;
    await db.query(
      `INSERT INTO outbox (id, kind, partner_id, dedupe_key, payload, state, created_at, due_by,
                           next_attempt_at, attempts, delivered_at, rejected_at, rejection_code)
       VALUES ($1::uuid, $2, $3, $1::text, $4, $5, $6, $7, $6, $8, $9, $10, $11)`,
      [
        n.id,
        n.kind ?? 'notice',
        n.partner,
        JSON.stringify({
          notificationId: `c${n.id.slice(1)}`,
          type: 'contract_terminated',
          code: 'never-in-a-report',
          occurredAt: occurred.toISOString(),
        }),
        n.state,
        occurred,
        plus(occurred, H24),
        n.state === 'pending' ? 3 : 1,
        n.state === 'delivered' ? done : null,
        n.state === 'rejected' ? done : null,
        n.state === 'rejected' ? 'UNKNOWN_CODE' : null,
      ],
    );
  }
}

export interface PlantedAttempt {
  id: string;
  operator: string;
  sent: string;
  state: 'sending' | 'pending' | 'answered' | 'missed';
  answered?: string;
}

/** Messenger side: what operators answered, notices received, users stopped. */
export const MESSENGER_ATTEMPTS: PlantedAttempt[] = [
  {
    id: 'd0000000-0000-4000-8000-000000000001',
    operator: 'mts',
    sent: '1 10:00:00',
    state: 'answered',
    answered: '1 10:00:02',
  },
  // Planted misses: answered 5 minutes late; closed unanswered at the line; still open past it.
  {
    id: 'd0000000-0000-4000-8000-000000000002',
    operator: 'mts',
    sent: '1 11:00:00',
    state: 'answered',
    answered: '1 11:25:00',
  },
  {
    id: 'd0000000-0000-4000-8000-000000000003',
    operator: 'mts',
    sent: '1 12:00:00',
    state: 'missed',
    answered: '1 12:20:00',
  },
  {
    id: 'd0000000-0000-4000-8000-000000000004',
    operator: 'mts',
    sent: '1 23:55:00',
    state: 'pending',
  },
  {
    id: 'd0000000-0000-4000-8000-000000000005',
    operator: 'beeline',
    sent: '1 09:00:00',
    state: 'answered',
    answered: '1 09:00:01',
  },
  {
    id: 'd0000000-0000-4000-8000-000000000006',
    operator: 'beeline',
    sent: '2 01:00:00',
    state: 'missed',
    answered: '2 01:20:00',
  },
];

export const MESSENGER_NOTICES = [
  {
    id: 'e0000000-0000-4000-8000-000000000001',
    operator: 'mts',
    occurred: '1 05:00:00',
    received: '1 05:00:10',
  },
  // Planted miss: received 25 hours after the event.
  {
    id: 'e0000000-0000-4000-8000-000000000002',
    operator: 'mts',
    occurred: '1 06:00:00',
    received: '2 07:00:00',
  },
  {
    id: 'e0000000-0000-4000-8000-000000000003',
    operator: 'beeline',
    occurred: '2026-02-27T06:00:00Z',
    received: '2026-02-27T06:00:01Z',
  },
];

export const MESSENGER_TRANSITIONS = [
  { to: 'suspended', cause: 'contract_terminated', at: '1 06:00:11' },
  { to: 'suspended', cause: 'contract_terminated', at: '1 07:00:00' },
  { to: 'suspended', cause: 'subscriber_changed', at: '1 08:00:00' },
  { to: 'deauthorized', cause: 'grace_expired', at: '1 20:00:00' },
  { to: 'identified', cause: 'confirmed', at: '1 10:00:02' },
  { to: 'suspended', cause: 'contract_terminated', at: '2 06:00:00' },
];

export async function plantMessengerFixture(db: Database): Promise<void> {
  await migrate(db, ['shared', 'messenger']);
  await claimNodeIdentity(db, 'messenger', 'tamtam');
  const userId = randomUUID();
  await db.query(
    `INSERT INTO users (user_id, msisdn, state, created_at, updated_at)
     VALUES ($1, $2, 'suspended', $3, $3)`,
    [userId, FIXTURE_MSISDN, at('1 00:00:00')],
  );
  for (const a of MESSENGER_ATTEMPTS) {
    const sent = at(a.sent);
    await db.query(
      `INSERT INTO identification_attempts
         (request_id, user_id, operator_id, code, purpose, possession_verified_at, state,
          first_sent_at, deadline_at, answered_at)
       VALUES ($1, $2, $3, $4, 'registration', $5, $6, $5, $7, $8)`,
      [
        a.id,
        userId,
        a.operator,
        `code-${a.id}`,
        sent,
        a.state,
        plus(sent, MIN20),
        a.answered ? at(a.answered) : null,
      ],
    );
  }
  for (const n of MESSENGER_NOTICES) {
    const occurred = at(n.occurred);
    await db.query(
      `INSERT INTO received_notices
         (notification_id, operator_id, type, code, user_id, occurred_at, due_by, received_at, action)
       VALUES ($1, $2, 'contract_terminated', $3, $4, $5, $6, $7, 'suspended')`,
      [n.id, n.operator, `code-${n.id}`, userId, occurred, plus(occurred, H24), at(n.received)],
    );
  }
  for (const t of MESSENGER_TRANSITIONS) {
    await db.query(
      `INSERT INTO user_transitions (transition_id, user_id, from_state, to_state, cause, at)
       VALUES ($1, $2, 'identified', $3, $4, $5)`,
      [randomUUID(), userId, t.to, t.cause, at(t.at)],
    );
  }
}
