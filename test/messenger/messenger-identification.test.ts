import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { listAttemptsOfUser } from '../../src/messenger/identification/attempt-store.js';
import { listTransitions } from '../../src/messenger/users/user-store.js';
import { verifyWebhook } from '../../src/messenger/webhooks/index.js';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
  WEBHOOK_SECRET,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';

interface UserView {
  userId: string;
  state: string;
  maySend: boolean;
  operatorId: string | null;
}

for (const kind of TEST_DRIVERS) {
  describe(`messenger node with two operators, end to end [${kind}]`, () => {
    let n: IdentificationNetwork;

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind, { portedNumbers: ['+79161234567'] });
      const mts = n.operators.mts!;
      const megafon = n.operators.megafon!;
      const start = (msisdn: string, contractId: string, extra = {}) => ({
        type: 'contract_started',
        msisdn,
        contractId,
        subscriberType: 'individual',
        hasSubscriberData: true,
        ...extra,
      });
      expect(
        (
          await mts.events([
            start('+79160000001', 'M-1'),
            start('+79160000002', 'M-2'),
            start('+79160000003', 'M-3'),
            start('+79160000009', 'M-9', { needsBssCheck: true }),
          ])
        ).every((r) => r.status === 'applied'),
      ).toBe(true);
      expect(
        (await megafon.events([start('+79161234567', 'F-1'), start('+79260000001', 'F-2')])).every(
          (r) => r.status === 'applied',
        ),
      ).toBe(true);
    });
    afterAll(() => n.close());

    /** Asks for a code, reads it from the development outbox. */
    async function requestCode(phone: string): Promise<{ challengeId: string; code: string }> {
      const started = await n.app<{ challengeId: string }>('POST', '/app/v1/registrations', {
        phone,
      });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      );
      const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1];
      expect(code).toBeDefined();
      return { challengeId: started.body.challengeId, code: code as string };
    }

    const confirm = (phone: string, code: string) =>
      n.app<{ outcome: string; user: UserView }>('POST', '/app/v1/registrations/confirm', {
        phone,
        code,
      });

    async function identificationCodeOf(userId: string): Promise<string | null> {
      const { rows } = await n.messenger.db.query<{ identification_code: string | null }>(
        'SELECT identification_code FROM users WHERE user_id = $1',
        [userId],
      );
      return rows[0]?.identification_code ?? null;
    }

    it('registers by SMS code and identifies with a code the operator register holds (R2, R5, R6)', async () => {
      const { code } = await requestCode('8 (916) 000-00-01');
      const res = await confirm('+7 916 000 00 01', code);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        outcome: 'registered',
        user: { state: 'identified', maySend: true, operatorId: 'mts' },
      });
      const identificationCode = await identificationCodeOf(res.body.user.userId);
      const entries = await listEntriesOfNumber(n.operators.mts!.db, '+79160000001');
      expect(entries.map((e) => [e.messengerId, e.code, e.closedAt])).toEqual([
        ['tamtam', identificationCode, null],
      ]);
      const permission = await n.app<{ maySend: boolean }>(
        'GET',
        `/app/v1/users/${res.body.user.userId}/permission`,
      );
      expect(permission.body.maySend).toBe(true);
      const transitions = await listTransitions(n.messenger.db, res.body.user.userId);
      expect(transitions.map((t) => t.to)).toEqual([
        'unverified',
        'pending_identification',
        'identified',
      ]);
      const [attempt] = await listAttemptsOfUser(n.messenger.db, res.body.user.userId);
      expect(attempt).toMatchObject({ state: 'answered', result: 'confirmed', operatorId: 'mts' });
      // The backend hears of it by a signed webhook (Standard Webhooks).
      await n.messenger.node.runtime.outbox.drain();
      const hook = n.webhooks.find((w) => w.body.data.userId === res.body.user.userId);
      expect(hook?.body.type).toBe('user.identified');
      const verified = verifyWebhook({
        secret: WEBHOOK_SECRET,
        headers: hook!.headers as Record<string, string>,
        body: JSON.stringify(hook!.body),
        now: n.clock.now(),
      });
      expect(verified.ok).toBe(true);
    });

    it('signs the number in again without a new operator call (sign-in is not registration)', async () => {
      n.clock.advance(2 * MINUTE_MS);
      const { code } = await requestCode('+79160000001');
      const res = await confirm('+79160000001', code);
      expect(res.body.outcome).toBe('signed_in');
      expect(await listEntriesOfNumber(n.operators.mts!.db, '+79160000001')).toHaveLength(1);
    });

    it('locks a code after five wrong attempts, even for the right code', async () => {
      const { code } = await requestCode('+79160000002');
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        const res = await confirm('+79160000002', wrong);
        expect(res.status).toBe(400);
        // A backend branches on the code, never on the message (issue 23 item 8).
        expect(res.body).toMatchObject({ status: 400, code: 'CODE_MISMATCH' });
      }
      const locked = await confirm('+79160000002', code);
      expect(locked.status).toBe(403);
      expect(locked.body).toMatchObject({ status: 403, code: 'CODE_LOCKED' });
    });

    it('refuses an expired code', async () => {
      n.clock.advance(10 * MINUTE_MS);
      const { code } = await requestCode('+79160000003');
      n.clock.advance(5 * MINUTE_MS + 1000);
      const res = await confirm('+79160000003', code);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, code: 'CODE_EXPIRED' });
      expect(JSON.stringify(res.body)).toMatch(/expired/);
    });

    it('does not identify a number of no known mobile range', async () => {
      n.clock.advance(10 * MINUTE_MS);
      const { code } = await requestCode('+7 495 123-45-67');
      const res = await confirm('+74951234567', code);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.user).toMatchObject({ state: 'not_identified', maySend: false });
      const transitions = await listTransitions(n.messenger.db, res.body.user.userId);
      expect(transitions.at(-1)?.cause).toMatch(/unroutable: NOT_MOBILE_RANGE/);
    });

    it('routes a ported number to the operator that serves it now (I5)', async () => {
      const { code } = await requestCode('+79161234567');
      const res = await confirm('+79161234567', code);
      expect(res.body.user).toMatchObject({ state: 'identified', operatorId: 'megafon' });
      expect(await listEntriesOfNumber(n.operators.megafon!.db, '+79161234567')).toHaveLength(1);
    });

    it('retries after the operator was unreachable and identifies once it is back', async () => {
      const megafon = n.operators.megafon!;
      await megafon.network.down();
      const { code } = await requestCode('+79260000001');
      const res = await confirm('+79260000001', code);
      expect(res.body.user.state).toBe('pending_identification');
      const [attempt] = await listAttemptsOfUser(n.messenger.db, res.body.user.userId);
      expect(attempt?.state).toBe('sending');
      await megafon.network.up();
      n.clock.advance(30_000);
      await n.settle();
      const user = await n.app<UserView>('GET', `/app/v1/users/${res.body.user.userId}`);
      expect(user.body).toMatchObject({ state: 'identified', operatorId: 'megafon' });
    });

    it('waits on a 202 and identifies when the operator calls back (protocol.md §3)', async () => {
      const mts = n.operators.mts!;
      const { code } = await requestCode('+79160000009');
      const res = await confirm('+79160000009', code);
      expect(res.body.user.state).toBe('pending_identification');
      const [attempt] = await listAttemptsOfUser(n.messenger.db, res.body.user.userId);
      expect(attempt?.state).toBe('pending');
      mts.setVerdict('confirmed');
      n.clock.advance(60_000);
      await n.settle();
      const user = await n.app<UserView>('GET', `/app/v1/users/${res.body.user.userId}`);
      expect(user.body).toMatchObject({ state: 'identified', operatorId: 'mts' });
      const [answered] = await listAttemptsOfUser(n.messenger.db, res.body.user.userId);
      expect(answered).toMatchObject({ state: 'answered', result: 'confirmed' });
      // Answered by callback 60 s after the first send: inside the 60 s bucket, not the 10 s one.
      const metrics = await n.messenger.node.registry.metrics();
      const bucket = (le: string) =>
        Number(
          new RegExp(
            `idbridge_messenger_answer_seconds_bucket\\{le="${le}",operator="mts"\\} (\\d+)`,
          ).exec(metrics)?.[1],
        );
      expect(bucket('60') - bucket('10')).toBe(1);
    });

    it('records a miss against the operator and does not identify when no answer comes in 20 minutes (R4, R10)', async () => {
      const mts = n.operators.mts!;
      await mts.events([
        {
          type: 'contract_started',
          msisdn: '+79160000010',
          contractId: 'M-10',
          subscriberType: 'individual',
          hasSubscriberData: true,
        },
      ]);
      await mts.network.down();
      const { code } = await requestCode('+79160000010');
      const res = await confirm('+79160000010', code);
      expect(res.body.user.state).toBe('pending_identification');
      n.clock.advance(20 * MINUTE_MS + 1000);
      await n.messenger.node.runDuties();
      const user = await n.app<UserView>('GET', `/app/v1/users/${res.body.user.userId}`);
      expect(user.body.state).toBe('not_identified');
      const [attempt] = await listAttemptsOfUser(n.messenger.db, res.body.user.userId);
      expect(attempt).toMatchObject({
        state: 'missed',
        operatorId: 'mts',
        reason: 'NO_ANSWER_IN_20_MIN',
      });
      expect(await n.messenger.node.registry.metrics()).toContain(
        'idbridge_messenger_deadline_misses_total{operator="mts",kind="missed"} 1',
      );
      await mts.network.up();
    });
  });
}
