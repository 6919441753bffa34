import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import { createPartnerClient, type PartnerClient } from '../../src/protocol/http/partner-client.js';
import { BATCH_ANSWERS, IDENTIFY_ANSWERS } from '../../src/protocol/schemas/index.js';
import { bodyOf, messageOf, okBody } from '../helpers/partner-body.js';
import { createTestDatabase, TEST_DRIVERS } from '../helpers/test-database.js';
import { createTestNetwork, testConfig } from '../helpers/test-network.js';

const code = (n: number) => `date-${String(n).padStart(12, '0')}-test`;
const uuid = () => newId();

// R9, I1: a date that names no real day must never reach a decision.
const IMPOSSIBLE_DATES = ['2020-00-10', '2020-02-30', '2020-13-01', '2020-04-31', '2021-02-29'];
const IMPOSSIBLE_INSTANTS = [
  '2026-02-29T09:00:00Z',
  '2026-11-31T09:00:00Z',
  '2026-11-28T24:00:00Z',
  '2026-11-28T09:60:00Z',
  '2026-11-28T09:00:00+24:00',
  '2026-11-28T09:00:00+03:60',
];

for (const kind of TEST_DRIVERS) {
  describe(`operator refuses dates that do not exist [${kind}]`, () => {
    const clock = createManualClock('2026-11-28T09:00:00Z');
    let db: Database;
    let node: OperatorNode;
    let operatorUrl: string;
    let internalUrl: string;
    let tamtam: PartnerClient;

    beforeAll(async () => {
      const net = await createTestNetwork([
        { id: 'mts', role: 'operator' },
        { id: 'tamtam', role: 'messenger' },
      ]);
      db = await createTestDatabase(kind);
      await migrate(db, OPERATOR_MIGRATION_SETS);
      node = await createOperatorNode({
        db,
        clock,
        ids: newId,
        log: createSilentLogger(),
        credentials: net.credentials('mts'),
        config: testConfig({}),
      });
      operatorUrl = await node.partnerApp.listen({ host: '127.0.0.1', port: net.ports.mts! });
      internalUrl = await node.internalApp.listen({ host: '127.0.0.1', port: 0 });
      tamtam = createPartnerClient({
        signer: net.signers.tamtam!,
        resolveKey: net.credentials('tamtam').resolveKey,
        clock,
        retries: 0,
      });
      const started = await postEvents([
        contractStarted('+79160000100', 'C-100', { contractStart: '2020-02-15T00:00:00Z' }),
      ]);
      expect(started.body.results[0]).toMatchObject({ status: 'applied' });
    });

    afterAll(async () => {
      await node.stop();
      await db.close();
    });

    async function postEvents(events: unknown[]) {
      const res = await fetch(`${internalUrl}/internal/v1/subscriber-events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer test-internal-token-mts',
        },
        body: JSON.stringify({ events }),
      });
      return {
        status: res.status,
        body: (await res.json()) as {
          code?: string;
          message?: string;
          results: Array<Record<string, unknown>>;
        },
      };
    }

    function contractStarted(msisdn: string, contractId: string, extra = {}) {
      return {
        type: 'contract_started',
        eventId: uuid(),
        msisdn,
        contractId,
        occurredAt: clock.now().toISOString(),
        subscriberType: 'individual',
        hasSubscriberData: true,
        ...extra,
      };
    }

    const batch = (items: Array<Record<string, unknown>>) =>
      tamtam.send({
        participantId: 'mts',
        baseUrl: operatorUrl,
        method: 'POST',
        path: '/v1/identifications/batch',
        answers: BATCH_ANSWERS,
        body: { batchId: uuid(), items },
      });

    const batchItem = (n: number, userSince: string) => ({
      requestId: uuid(),
      msisdn: '+79160000100',
      identificationCode: code(n),
      userSince,
    });

    it.each(IMPOSSIBLE_DATES)(
      'answers 400 INVALID_ARGUMENT naming the batch item for userSince %s, and writes nothing',
      async (userSince) => {
        const good = batchItem(1, '2020-03-01');
        const bad = batchItem(2, userSince);
        const res = await batch([good, bad]);
        expect(res.status).toBe(400);
        expect(bodyOf(res)).toMatchObject({ status: 400, code: 'INVALID_ARGUMENT' });
        expect(messageOf(res)).toContain('items/1/userSince');
        expect(messageOf(res)).toContain(bad.requestId);
        expect(await listEntriesOfNumber(db, '+79160000100')).toEqual([]);
      },
    );

    it('decides on 29 February of a leap year', async () => {
      const item = batchItem(3, '2020-02-29');
      const res = await batch([item]);
      expect(res.status).toBe(200);
      expect(okBody(res).results).toEqual([{ requestId: item.requestId, result: 'confirmed' }]);
    });

    it.each(IMPOSSIBLE_INSTANTS)(
      'answers 400 to an identification whose possessionVerifiedAt is %s',
      async (at) => {
        const res = await tamtam.send({
          participantId: 'mts',
          baseUrl: operatorUrl,
          method: 'POST',
          path: '/v1/identifications',
          answers: IDENTIFY_ANSWERS,
          body: {
            requestId: uuid(),
            msisdn: '+79160000100',
            identificationCode: code(10),
            purpose: 'registration',
            possessionVerifiedAt: at,
          },
        });
        expect(res.status).toBe(400);
        expect(bodyOf(res)).toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(messageOf(res)).toContain('possessionVerifiedAt');
      },
    );

    it.each([
      ['occurredAt', IMPOSSIBLE_INSTANTS[0], 1],
      ['occurredAt', IMPOSSIBLE_INSTANTS[4], 2],
      ['contractStart', IMPOSSIBLE_INSTANTS[1], 3],
    ])(
      'refuses a BSS event whose %s is %s with 400 naming the event, applying none',
      async (field, at, n) => {
        const good = contractStarted(`+7916000020${n}`, `C-20${n}`);
        const bad = contractStarted('+79160000102', 'C-102', { [field]: at });
        const res = await postEvents([good, bad]);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect(res.body.message).toContain(`events/1/${field}`);
        expect(res.body.message).toContain(bad.eventId);
        // Nothing applied: the good event is new on its next delivery.
        const again = await postEvents([good]);
        expect(again.body.results[0]).toMatchObject({ status: 'applied', duplicate: false });
      },
    );

    it('refuses a contract_terminated whose contractEnd does not exist', async () => {
      const res = await postEvents([
        {
          type: 'contract_terminated',
          eventId: uuid(),
          msisdn: '+79160000100',
          contractId: 'C-100',
          occurredAt: clock.now().toISOString(),
          contractEnd: '2026-06-31T00:00:00Z',
        },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('events/0/contractEnd');
    });
  });
}
