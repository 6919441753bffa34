import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { listAttemptsOfUser } from '../../src/messenger/identification/attempt-store.js';
import { listTransitions } from '../../src/messenger/users/user-store.js';
import { inspectOutbox } from '../../src/outbox/index.js';
import { createPartnerClient } from '../../src/protocol/http/partner-client.js';
import { NOTIFICATIONS_ANSWERS } from '../../src/protocol/schemas/index.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { bodyOf, okBody } from '../helpers/partner-body.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';

interface UserView {
  userId: string;
  state: string;
  maySend: boolean;
  operatorId: string | null;
}

for (const kind of TEST_DRIVERS) {
  describe(`contract ends → notice → suspend, re-identify or deauthorize [${kind}]`, () => {
    let n: IdentificationNetwork;
    const start = (msisdn: string, contractId: string) => ({
      type: 'contract_started',
      msisdn,
      contractId,
      subscriberType: 'individual',
      hasSubscriberData: true,
    });

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind);
    });
    afterAll(() => n.close());

    async function codeFor(
      phone: string,
      path = '/app/v1/registrations',
      body: unknown = { phone },
    ): Promise<string> {
      const res = await n.app(path.startsWith('/app/v1/users') ? 'POST' : 'POST', path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      );
      return /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1] as string;
    }

    async function register(phone: string): Promise<UserView> {
      n.clock.advance(2 * MINUTE_MS); // past the resend interval of earlier tests
      const code = await codeFor(phone);
      const res = await n.app<{ user: UserView }>('POST', '/app/v1/registrations/confirm', {
        phone,
        code,
      });
      expect(res.body.user.state).toBe('identified');
      return res.body.user;
    }

    const user = async (id: string) => (await n.app<UserView>('GET', `/app/v1/users/${id}`)).body;
    const smsCount = async () =>
      Number(
        (await n.messenger.db.query<{ c: string }>('SELECT count(*) AS c FROM sms_dev_outbox'))
          .rows[0]?.c,
      );

    it('suspends on termination, then the session holder re-verifies with a new number at another operator', async () => {
      await n.operators.mts!.events([start('+79160000021', 'T-21')]);
      await n.operators.megafon!.events([start('+79260000021', 'F-21')]);
      const u = await register('+79160000021');
      await n.operators.mts!.events([
        { type: 'contract_terminated', msisdn: '+79160000021', contractId: 'T-21' },
      ]);
      await n.operators.mts!.node.runtime.outbox.drain();
      const suspended = await user(u.userId);
      expect(suspended).toMatchObject({ state: 'suspended', maySend: false });
      const permission = await n.app<{ maySend: boolean }>(
        'GET',
        `/app/v1/users/${u.userId}/permission`,
      );
      expect(permission.body.maySend).toBe(false);

      n.clock.advance(2 * MINUTE_MS);
      const code = await codeFor('+79260000021', `/app/v1/users/${u.userId}/reverification`, {
        phone: '+79260000021',
      });
      const res = await n.app<UserView>(
        'POST',
        `/app/v1/users/${u.userId}/reverification/confirm`,
        { code, phone: '+79260000021' },
      );
      expect(res.body).toMatchObject({
        state: 'identified',
        operatorId: 'megafon',
        maySend: true,
      });
      const attempts = await listAttemptsOfUser(n.messenger.db, u.userId);
      expect(attempts.at(-1)).toMatchObject({
        purpose: 'reidentification',
        previousCode: expect.any(String),
        operatorId: 'megafon',
      });
    });

    it('re-identifies a ported-out number at once with the new operator, without a new SMS code (I2)', async () => {
      await n.operators.mts!.events([start('+79160000022', 'T-22')]);
      const u = await register('+79160000022');
      const smsBefore = await smsCount();
      // The number moves to MegaFon: its contract starts there, БДПН says so, MTS reports the port-out.
      await n.operators.megafon!.events([start('+79160000022', 'F-22')]);
      await n.portNumber('+79160000022', 'megafon');
      await n.operators.mts!.events([
        { type: 'number_ported_out', msisdn: '+79160000022', contractId: 'T-22' },
      ]);
      await n.operators.mts!.node.runtime.outbox.drain();
      await n.settle();
      expect(await user(u.userId)).toMatchObject({ state: 'identified', operatorId: 'megafon' });
      expect(await smsCount()).toBe(smsBefore);
      const transitions = await listTransitions(n.messenger.db, u.userId);
      expect(transitions.map((t) => t.to).slice(-2)).toEqual([
        'pending_identification',
        'identified',
      ]);
    });

    it('deauthorizes a suspended user when the grace period ends without re-identification (R8)', async () => {
      await n.operators.mts!.events([start('+79160000023', 'T-23')]);
      const u = await register('+79160000023');
      await n.operators.mts!.events([
        { type: 'subscriber_changed', msisdn: '+79160000023', contractId: 'T-23' },
      ]);
      await n.operators.mts!.node.runtime.outbox.drain();
      expect((await user(u.userId)).state).toBe('suspended');
      n.clock.advance(HOUR_MS - 1000);
      await n.messenger.node.runDuties();
      expect((await user(u.userId)).state).toBe('suspended');
      n.clock.advance(2000);
      await n.messenger.node.runDuties();
      expect(await user(u.userId)).toMatchObject({ state: 'deauthorized', maySend: false });
    });

    it('drains a six-hour backlog when the messenger comes back, each notice acknowledged once before its deadline', async () => {
      const mts = n.operators.mts!;
      const users: UserView[] = [];
      for (let i = 0; i < 5; i++) {
        const msisdn = `+7916000003${i}`;
        await mts.events([start(msisdn, `T-3${i}`)]);
        users.push(await register(msisdn));
      }
      await n.messenger.network.down();
      const endedAt = n.clock.now().getTime();
      await mts.events(
        users.map((_, i) => ({
          type: 'contract_terminated',
          msisdn: `+7916000003${i}`,
          contractId: `T-3${i}`,
        })),
      );
      // Six hours of delivery attempts against a messenger that is down.
      while (n.clock.now().getTime() - endedAt < 6 * HOUR_MS) {
        await mts.node.runtime.outbox.drain();
        n.clock.advance(5 * MINUTE_MS);
      }
      const pending = (
        await inspectOutbox(mts.db, { partnerId: 'tamtam', state: 'pending' })
      ).filter((r) => r.kind === 'notice');
      expect(pending).toHaveLength(5);
      expect(pending.every((r) => r.attempts > 3)).toBe(true);
      expect((await user(users[0]!.userId)).state).toBe('identified');

      await n.messenger.network.up();
      n.clock.advance(HOUR_MS);
      await mts.node.runtime.outbox.drain();
      const delivered = (
        await inspectOutbox(mts.db, { partnerId: 'tamtam', state: 'delivered' })
      ).filter((r) => r.kind === 'notice' && r.createdAt.getTime() >= endedAt);
      expect(delivered).toHaveLength(5);
      for (const row of delivered)
        expect(row.deliveredAt!.getTime()).toBeLessThan(row.dueBy!.getTime());
      for (const u of users) {
        expect((await user(u.userId)).state).toBe('suspended');
        const suspensions = (await listTransitions(n.messenger.db, u.userId)).filter(
          (t) => t.to === 'suspended',
        );
        expect(suspensions).toHaveLength(1);
      }
      // Each notice came about 7 hours after its event, none after its 24 h deadline.
      const metrics = await n.messenger.node.registry.metrics();
      const bucket = (le: string) =>
        Number(
          new RegExp(
            `idbridge_messenger_notice_delay_seconds_bucket\\{le="${le}",operator="mts"\\} (\\d+)`,
          ).exec(metrics)?.[1],
        );
      expect(bucket('43200') - bucket('21600')).toBe(5);
      expect(metrics).not.toContain('idbridge_messenger_notices_late_total{operator="mts"}');
    });

    it('acknowledges a duplicate notice again and acts on it once', async () => {
      await n.operators.mts!.events([start('+79160000040', 'T-40')]);
      const u = await register('+79160000040');
      const { rows } = await n.messenger.db.query<{ identification_code: string }>(
        'SELECT identification_code FROM users WHERE user_id = $1',
        [u.userId],
      );
      const notice = {
        notificationId: newId(),
        type: 'contract_terminated',
        identificationCode: rows[0]!.identification_code,
        occurredAt: n.clock.now().toISOString(),
        dueBy: new Date(n.clock.now().getTime() + 24 * HOUR_MS).toISOString(),
      };
      const client = createPartnerClient({
        signer: n.net.signers.mts!,
        resolveKey: n.net.credentials('mts').resolveKey,
        clock: n.clock,
      });
      const send = () =>
        client.send({
          participantId: 'tamtam',
          baseUrl: n.net.baseUrl('tamtam'),
          method: 'POST',
          path: '/v1/notifications',
          answers: NOTIFICATIONS_ANSWERS,
          body: { notifications: [notice] },
        });
      const first = await send();
      expect(first.status, JSON.stringify(bodyOf(first))).toBe(200);
      expect(okBody(first).acknowledged).toEqual([notice.notificationId]);
      const second = await send();
      expect(second.status, JSON.stringify(bodyOf(second))).toBe(200);
      expect(okBody(second).acknowledged).toEqual([notice.notificationId]);
      const suspensions = (await listTransitions(n.messenger.db, u.userId)).filter(
        (t) => t.to === 'suspended',
      );
      expect(suspensions).toHaveLength(1);
      const unknown = await client.send({
        participantId: 'tamtam',
        baseUrl: n.net.baseUrl('tamtam'),
        method: 'POST',
        path: '/v1/notifications',
        answers: NOTIFICATIONS_ANSWERS,
        body: {
          notifications: [
            { ...notice, notificationId: newId(), identificationCode: 'no-such-code-000000000' },
          ],
        },
      });
      expect(okBody(unknown).rejected).toEqual([expect.objectContaining({ code: 'UNKNOWN_CODE' })]);
    });
  });
}
