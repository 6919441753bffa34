import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';

// I4: after DELETE the account is gone for the app API; its code is withdrawn
// at the operator, and its number is served by no route.
for (const kind of TEST_DRIVERS) {
  describe(`deleting an account over the app API [${kind}]`, () => {
    let n: IdentificationNetwork;
    const msisdn = '+79160000011';

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind);
      const applied = await n.operators.mts!.events([
        {
          type: 'contract_started',
          msisdn,
          contractId: 'M-11',
          subscriberType: 'individual',
          hasSubscriberData: true,
        },
      ]);
      expect(applied.every((r) => r.status === 'applied')).toBe(true);
    });
    afterAll(() => n.close());

    async function register(): Promise<string> {
      const started = await n.app<{ challengeId: string }>('POST', '/app/v1/registrations', {
        phone: msisdn,
      });
      expect(started.status).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(msisdn)}&limit=1`,
      );
      const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1];
      const res = await n.app<{ user: { userId: string; state: string } }>(
        'POST',
        '/app/v1/registrations/confirm',
        { phone: msisdn, code },
      );
      expect(res.body.user.state).toBe('identified');
      return res.body.user.userId;
    }

    it('answers 404 on every route of a deleted user and serves no number of it', async () => {
      const userId = await register();
      expect((await n.app('GET', `/app/v1/users/${userId}`)).status).toBe(200);

      expect((await n.app('DELETE', `/app/v1/users/${userId}`)).status).toBe(204);

      const answers = [
        await n.app('GET', `/app/v1/users/${userId}`),
        await n.app('GET', `/app/v1/users/${userId}/permission`),
        await n.app('DELETE', `/app/v1/users/${userId}`),
        await n.app('POST', `/app/v1/users/${userId}/reverification`, {}),
        await n.app('POST', `/app/v1/users/${userId}/reverification/confirm`, {
          code: '123456',
        }),
      ];
      for (const res of answers) {
        expect(res.status, JSON.stringify(res.body)).toBe(404);
        expect(res.body).toMatchObject({ status: 404, code: 'USER_NOT_FOUND' });
        expect(JSON.stringify(res.body)).not.toContain('9160000011');
      }

      // The code is withdrawn: the operator closes its register entry (I4).
      await n.messenger.node.runtime.outbox.drain();
      const entries = await listEntriesOfNumber(n.operators.mts!.db, msisdn);
      expect(entries).toHaveLength(1);
      expect(entries[0]?.closedAt).not.toBeNull();
    });
  });
}
