import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeCredentials } from '../../src/node/node-credentials.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';
import { testAdminToken } from '../helpers/test-network.js';

/**
 * Each node's own console (issue 7): served on the internal (operator) or
 * app (messenger) listener, its data behind the admin credential, numbers
 * masked; never on the partner listener.
 */
for (const kind of TEST_DRIVERS) {
  describe(`node console [${kind}]`, () => {
    let n: IdentificationNetwork;
    let userId: string;
    const phone = '+79160000041';

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind);
      await n.operators.mts!.events([
        {
          type: 'contract_started',
          msisdn: phone,
          contractId: 'NC-1',
          subscriberType: 'individual',
          hasSubscriberData: true,
        },
      ]);
      expect((await n.app('POST', '/app/v1/registrations', { phone })).status).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      );
      const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1];
      const confirmed = await n.app<{ user: { userId: string; state: string } }>(
        'POST',
        '/app/v1/registrations/confirm',
        { phone, code },
      );
      expect(confirmed.body.user.state).toBe('identified');
      userId = confirmed.body.user.userId;
    });
    afterAll(() => n.close());

    const get = (url: string, token?: string) =>
      fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

    it('serves the page on the internal listener with a strict content policy, and no data without the admin credential', async () => {
      const base = n.operators.mts!.internalUrl;
      const page = await get(`${base}/console`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('data-mode="node"');
      expect((await get(`${base}/console/console.js`)).status).toBe(200);

      expect((await get(`${base}/console/api/dashboard`)).status).toBe(401);
      // The BSS's internal token opens the event API, not the console.
      expect((await get(`${base}/console/api/dashboard`, 'test-internal-token-mts')).status).toBe(
        401,
      );
      expect((await get(`${base}/console/api/dashboard`, testAdminToken('megafon'))).status).toBe(
        401,
      );
    });

    it("operator: the dashboard shows this operator's requests and nothing of others", async () => {
      const res = await get(
        `${n.operators.mts!.internalUrl}/console/api/dashboard`,
        testAdminToken('mts'),
      );
      expect(res.status).toBe(200);
      const text = await res.text();
      const d = JSON.parse(text) as {
        operators: Array<{ id: string; recentRequests: unknown[] }>;
        messenger: unknown;
      };
      expect(d.operators.map((o) => o.id)).toEqual(['mts']);
      expect(d.operators[0]?.recentRequests.length).toBeGreaterThan(0);
      expect(d.messenger).toBeNull();
      expect(text).not.toContain(phone.slice(1));
    });

    it('messenger: on the app listener, users by state with numbers masked; search masks too', async () => {
      const base = n.messenger.appUrl;
      expect(
        (await get(`${base}/console/api/dashboard`, 'test-internal-token-tamtam')).status,
      ).toBe(401);
      const res = await get(`${base}/console/api/dashboard`, testAdminToken('tamtam'));
      expect(res.status).toBe(200);
      const text = await res.text();
      const d = JSON.parse(text) as {
        operators: unknown[];
        messenger: {
          id: string;
          usersByState: Record<string, number>;
          users: Array<{ userId: string; msisdn: string }>;
        };
      };
      expect(d.operators).toEqual([]);
      expect(d.messenger.id).toBe('tamtam');
      expect(d.messenger.usersByState.identified).toBeGreaterThanOrEqual(1);
      expect(d.messenger.users.find((u) => u.userId === userId)?.msisdn).toBe('+7916*****41');
      expect(text).not.toContain(phone.slice(1));

      const search = await get(
        `${base}/console/api/search?q=${encodeURIComponent('8 (916) 000-00-41')}`,
        testAdminToken('tamtam'),
      );
      const found = await search.text();
      expect(JSON.parse(found)).toMatchObject({ kind: 'number', results: [{ node: 'tamtam' }] });
      expect(found).not.toContain(phone.slice(1));
    });

    it('is not served on the partner listener', async () => {
      const partner = n.net.baseUrl('mts');
      const page = await get(`${partner}/console`);
      expect(page.status).not.toBe(200);
      expect(await page.text()).not.toContain('data-mode');
      expect(
        (await get(`${partner}/console/api/dashboard`, testAdminToken('mts'))).status,
      ).not.toBe(200);
    });
  });
}

describe('node console credential', () => {
  it('refuses an admin credential equal to the internal token', async () => {
    const { createTestNetwork } = await import('../helpers/test-network.js');
    const net = await createTestNetwork([{ id: 'mts', role: 'operator' }]);
    const base = net.credentials('mts');
    expect(() =>
      createNodeCredentials({
        selfId: 'mts',
        signer: base.signer,
        participants: net.participants,
        numberHashKey: 'test-number-hash-key-mts',
        internalToken: 'same-token-0123456789',
        adminToken: 'same-token-0123456789',
      }),
    ).toThrow(/node.adminToken must differ from node.internalToken/);
  });
});
