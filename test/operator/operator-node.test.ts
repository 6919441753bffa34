import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { newId } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { createOperatorNode, type OperatorNode } from '../../src/operator/create-operator-node.js';
import type { BssVerdict } from '../../src/operator/identification/slow-path.js';
import { listEntriesOfNumber } from '../../src/operator/register/register-store.js';
import { OPERATOR_MIGRATION_SETS } from '../../src/operator/start-operator-node.js';
import { inspectOutbox } from '../../src/outbox/index.js';
import { createReplayStore } from '../../src/partner-records/replay-store.js';
import { createPartnerClient, type PartnerClient } from '../../src/protocol/http/partner-client.js';
import { applySignedPartnerScope } from '../../src/protocol/http/signed-partner-scope.js';
import {
  BATCH_ANSWERS,
  GET_IDENTIFICATION_ANSWERS,
  IDENTIFY_ANSWERS,
  NO_CONTENT_ANSWERS,
} from '../../src/protocol/schemas/index.js';
import { bodyOf, okBody } from '../helpers/partner-body.js';
import { createTestDatabase, TEST_DRIVERS } from '../helpers/test-database.js';
import { createTestNetwork, type TestNetwork, testConfig } from '../helpers/test-network.js';

const code = (n: number) => `code-${String(n).padStart(12, '0')}-test`;
const uuid = () => newId();

for (const kind of TEST_DRIVERS) {
  describe(`operator node over HTTP [${kind}]`, () => {
    const clock = createManualClock('2026-11-28T09:00:00Z');
    let db: Database;
    let messengerDb: Database;
    let net: TestNetwork;
    let node: OperatorNode;
    let operatorUrl: string;
    let internalUrl: string;
    let messengerApp: HttpApp;
    let tamtam: PartnerClient;
    let other: PartnerClient;
    const received: { results: unknown[]; notices: unknown[] } = { results: [], notices: [] };
    let bssVerdict: BssVerdict = 'undecided';

    beforeAll(async () => {
      net = await createTestNetwork([
        { id: 'mts', role: 'operator' },
        { id: 'tamtam', role: 'messenger' },
        { id: 'other', role: 'messenger' },
      ]);
      db = await createTestDatabase(kind);
      await migrate(db, OPERATOR_MIGRATION_SETS);
      node = await createOperatorNode({
        db,
        clock,
        ids: newId,
        log: createSilentLogger(),
        credentials: net.credentials('mts'),
        config: testConfig({ operator: { slowPath: { enabled: true } } }),
        checker: { check: async () => bssVerdict },
      });
      operatorUrl = await node.partnerApp.listen({ host: '127.0.0.1', port: net.ports.mts! });
      internalUrl = await node.internalApp.listen({ host: '127.0.0.1', port: 0 });

      // The messenger's receiving side: a signed scope that records what arrives.
      messengerDb = await createTestDatabase(kind);
      await migrate(messengerDb, ['shared']);
      const messengerCreds = net.credentials('tamtam');
      messengerApp = createHttpApp();
      await messengerApp.register(async (scope) => {
        applySignedPartnerScope(scope, {
          resolveKey: messengerCreds.resolveKey,
          replay: createReplayStore({ db: messengerDb, clock, windowSeconds: 300 }),
          clock,
          signer: messengerCreds.signer,
          bodyLimit: 1 << 20,
        });
        scope.post('/v1/identification-results', async (req, reply) => {
          received.results.push(req.body);
          return reply.code(204).send();
        });
        scope.post('/v1/notifications', async (req) => {
          const { notifications } = req.body as {
            notifications: Array<{ notificationId: string }>;
          };
          received.notices.push(...notifications);
          return { acknowledged: notifications.map((n) => n.notificationId), rejected: [] };
        });
      });
      await messengerApp.listen({ host: '127.0.0.1', port: net.ports.tamtam! });

      tamtam = createPartnerClient({
        signer: net.signers.tamtam!,
        resolveKey: net.credentials('tamtam').resolveKey,
        clock,
        retries: 0,
      });
      other = createPartnerClient({
        signer: net.signers.other!,
        resolveKey: net.credentials('other').resolveKey,
        clock,
        retries: 0,
      });
    });

    afterAll(async () => {
      await node.stop();
      await messengerApp.close();
      await db.close();
      await messengerDb.close();
    });

    const internal = (path: string, body: unknown, token = 'test-internal-token-mts') =>
      fetch(`${internalUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });

    async function startContract(
      msisdn: string,
      contractId: string,
      extra: Record<string, unknown> = {},
    ) {
      const res = await internal('/internal/v1/subscriber-events', {
        events: [
          {
            type: 'contract_started',
            eventId: uuid(),
            msisdn,
            contractId,
            occurredAt: clock.now().toISOString(),
            subscriberType: 'individual',
            hasSubscriberData: true,
            ...extra,
          },
        ],
      });
      const body = (await res.json()) as { results: Array<{ status: string }> };
      expect(body.results[0]?.status).toBe('applied');
    }

    const identify = (client: PartnerClient, body: Record<string, unknown>) =>
      client.send({
        participantId: 'mts',
        baseUrl: operatorUrl,
        method: 'POST',
        path: '/v1/identifications',
        answers: IDENTIFY_ANSWERS,
        body,
      });

    const request = (
      msisdn: string,
      identificationCode: string,
      extra: Record<string, unknown> = {},
    ) => ({
      requestId: uuid(),
      msisdn,
      identificationCode,
      purpose: 'registration',
      possessionVerifiedAt: clock.now().toISOString(),
      ...extra,
    });

    it('confirms a subscriber and writes the register entry with the code (R5, I3)', async () => {
      await startContract('+79160000001', 'C-1');
      const res = await identify(tamtam, request('+79160000001', code(1)));
      expect(res.status).toBe(200);
      expect(bodyOf(res)).toMatchObject({
        result: 'confirmed',
        confirmedAt: clock.now().toISOString(),
      });
      const entries = await listEntriesOfNumber(db, '+79160000001');
      expect(entries).toEqual([
        expect.objectContaining({
          messengerId: 'tamtam',
          code: code(1),
          contractId: 'C-1',
          closedAt: null,
        }),
      ]);
    });

    it('answers not_confirmed NO_SUBSCRIBER_DATA without subscriber data or without a valid contract (R4)', async () => {
      await startContract('+79160000002', 'C-2', { hasSubscriberData: false });
      const noData = await identify(tamtam, request('+79160000002', code(2)));
      expect(bodyOf(noData)).toMatchObject({
        result: 'not_confirmed',
        reason: 'NO_SUBSCRIBER_DATA',
      });

      await startContract('+79160000003', 'C-3');
      await internal('/internal/v1/subscriber-events', {
        events: [
          {
            type: 'contract_terminated',
            eventId: uuid(),
            msisdn: '+79160000003',
            contractId: 'C-3',
            occurredAt: clock.now().toISOString(),
          },
        ],
      });
      clock.advance(1000);
      const ended = await identify(tamtam, request('+79160000003', code(3)));
      expect(bodyOf(ended)).toMatchObject({
        result: 'not_confirmed',
        reason: 'NO_SUBSCRIBER_DATA',
      });
      expect(await listEntriesOfNumber(db, '+79160000002')).toEqual([]);
    });

    it('answers NOT_SERVED for a number it never held or that ported out', async () => {
      const never = await identify(tamtam, request('+79169999999', code(4)));
      expect(bodyOf(never)).toMatchObject({ result: 'not_confirmed', reason: 'NOT_SERVED' });
      await startContract('+79160000004', 'C-4');
      await internal('/internal/v1/subscriber-events', {
        events: [
          {
            type: 'number_ported_out',
            eventId: uuid(),
            msisdn: '+79160000004',
            contractId: 'C-4',
            occurredAt: clock.now().toISOString(),
          },
        ],
      });
      clock.advance(1000);
      const ported = await identify(tamtam, request('+79160000004', code(5)));
      expect(bodyOf(ported)).toMatchObject({ result: 'not_confirmed', reason: 'NOT_SERVED' });
    });

    it('returns the first answer to a retried requestId and does the work once', async () => {
      await startContract('+79160000005', 'C-5');
      const body = request('+79160000005', code(6));
      const first = await identify(tamtam, body);
      const again = await identify(tamtam, body);
      expect(again.status).toBe(200);
      expect(bodyOf(again)).toEqual(bodyOf(first));
      expect(await listEntriesOfNumber(db, '+79160000005')).toHaveLength(1);
    });

    it('answers 409 when the code is already registered for another subscriber', async () => {
      await startContract('+79160000006', 'C-6');
      const res = await identify(tamtam, request('+79160000006', code(1)));
      expect(res.status).toBe(409);
      expect(bodyOf(res)).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(await listEntriesOfNumber(db, '+79160000006')).toEqual([]);
    });

    it('replaces the code when the same contract and messenger identify again, keeping the old in history', async () => {
      const res = await identify(
        tamtam,
        request('+79160000001', code(7), { purpose: 'reidentification', previousCode: code(1) }),
      );
      expect(bodyOf(res)).toMatchObject({ result: 'confirmed' });
      const entries = await listEntriesOfNumber(db, '+79160000001');
      expect(entries.map((e) => [e.code, e.closeReason])).toEqual([
        [code(1), 'replaced'],
        [code(7), null],
      ]);
    });

    it('answers 202 for a number the BSS must check, then confirms by signed callback (protocol.md §3)', async () => {
      await startContract('+79160000007', 'C-7', { needsBssCheck: true });
      const body = request('+79160000007', code(8));
      const res = await identify(tamtam, body);
      expect(res.status).toBe(202);
      expect(bodyOf(res)).toMatchObject({
        result: 'pending',
        answerBy: new Date(clock.now().getTime() + 20 * MINUTE_MS).toISOString(),
      });
      expect(await listEntriesOfNumber(db, '+79160000007')).toEqual([]);

      bssVerdict = 'confirmed';
      clock.advance(2 * MINUTE_MS);
      await node.runSlowPath();
      await node.runtime.outbox.drain();
      expect(received.results).toContainEqual({
        requestId: body.requestId,
        result: 'confirmed',
        decidedAt: clock.now().toISOString(),
      });
      expect(await listEntriesOfNumber(db, '+79160000007')).toHaveLength(1);
      const state = await tamtam.send({
        participantId: 'mts',
        baseUrl: operatorUrl,
        method: 'GET',
        path: `/v1/identifications/${body.requestId}`,
        answers: GET_IDENTIFICATION_ANSWERS,
      });
      expect(bodyOf(state)).toMatchObject({ result: 'confirmed' });
    });

    it('answers every pending request before 20 minutes even when the BSS never decides (R3, R10)', async () => {
      bssVerdict = 'undecided';
      await startContract('+79160000008', 'C-8', { needsBssCheck: true });
      const body = request('+79160000008', code(9));
      const receivedAt = clock.now().getTime();
      expect((await identify(tamtam, body)).status).toBe(202);
      clock.advance(18 * MINUTE_MS);
      expect((await node.runSlowPath()).swept).toBe(0);
      clock.advance(1 * MINUTE_MS + 1000);
      expect((await node.runSlowPath()).swept).toBe(1);
      await node.runtime.outbox.drain();
      const result = received.results.find(
        (r) => (r as { requestId: string }).requestId === body.requestId,
      ) as { decidedAt: string; reason: string };
      expect(result).toMatchObject({ result: 'not_confirmed', reason: 'NO_SUBSCRIBER_DATA' });
      expect(Date.parse(result.decidedAt) - receivedAt).toBeLessThan(20 * MINUTE_MS);
      const { rows } = await db.query<{ decided_by: string; answered_at: Date; received_at: Date }>(
        'SELECT decided_by, answered_at, received_at FROM identification_requests WHERE request_id = $1',
        [body.requestId],
      );
      expect(rows[0]?.decided_by).toBe('sweeper');
      expect(rows[0]!.answered_at.getTime() - rows[0]!.received_at.getTime()).toBeLessThan(
        20 * MINUTE_MS,
      );
    });

    it('shows a request pending past 20 minutes, and its late answer, in /metrics (R10, R12)', async () => {
      bssVerdict = 'undecided';
      await startContract('+79160000009', 'C-9', { needsBssCheck: true });
      expect((await identify(tamtam, request('+79160000009', code(10)))).status).toBe(202);
      // The slow path did not run (say the node was down) until past the line.
      clock.advance(21 * MINUTE_MS);
      const scrape = async () => (await fetch(`${internalUrl}/metrics`)).text();
      expect(await scrape()).toContain(
        'idbridge_operator_pending_past_deadline{messenger="tamtam"} 1',
      );
      expect((await node.runSlowPath()).swept).toBe(1);
      const after = await scrape();
      expect(after).not.toContain('idbridge_operator_pending_past_deadline{messenger="tamtam"}');
      expect(after).toContain('idbridge_operator_deadline_misses_total{messenger="tamtam"} 1');
      // Answered 1260 s after receipt: above the 1200 s bucket, inside 1800 s.
      expect(after).toMatch(
        /idbridge_operator_answer_seconds_bucket\{le="1200",messenger="tamtam"\} (\d+)\n/,
      );
      const bucket = (le: string) =>
        Number(
          new RegExp(
            `idbridge_operator_answer_seconds_bucket\\{le="${le}",messenger="tamtam"\\} (\\d+)`,
          ).exec(after)?.[1],
        );
      expect(bucket('1800') - bucket('1200')).toBe(1);
    });

    it('decides a legacy batch by rule I1, set-based, in item order', async () => {
      clock.set('2026-11-28T12:00:00Z');
      await startContract('+79160000010', 'C-10', { contractStart: '2015-01-01T00:00:00Z' });
      await startContract('+79160000011', 'C-11', { contractStart: '2020-06-01T00:00:00Z' });
      const items = [
        {
          requestId: uuid(),
          msisdn: '+79160000010',
          identificationCode: code(20),
          userSince: '2017-03-01',
        },
        {
          requestId: uuid(),
          msisdn: '+79160000011',
          identificationCode: code(21),
          userSince: '2017-03-01',
        },
        {
          requestId: uuid(),
          msisdn: '+79168888888',
          identificationCode: code(22),
          userSince: '2017-03-01',
        },
        {
          requestId: uuid(),
          msisdn: '+79160000002',
          identificationCode: code(23),
          userSince: '2017-03-01',
        },
      ];
      const res = await tamtam.send({
        participantId: 'mts',
        baseUrl: operatorUrl,
        method: 'POST',
        path: '/v1/identifications/batch',
        answers: BATCH_ANSWERS,
        body: { batchId: uuid(), items },
      });
      expect(res.status).toBe(200);
      expect(okBody(res).results).toEqual([
        { requestId: items[0]!.requestId, result: 'confirmed' },
        { requestId: items[1]!.requestId, result: 'not_confirmed', reason: 'NUMBER_REASSIGNED' },
        { requestId: items[2]!.requestId, result: 'not_confirmed', reason: 'NOT_SERVED' },
        { requestId: items[3]!.requestId, result: 'not_confirmed', reason: 'NO_SUBSCRIBER_DATA' },
      ]);
      expect((await listEntriesOfNumber(db, '+79160000010')).map((e) => e.code)).toEqual([
        code(20),
      ]);
    });

    it('withdraws a code (I4): 204, then 404; another messenger cannot withdraw it', async () => {
      const del = (client: PartnerClient, c: string) =>
        client.send({
          participantId: 'mts',
          baseUrl: operatorUrl,
          method: 'DELETE',
          path: `/v1/registrations/${c}`,
          answers: NO_CONTENT_ANSWERS,
        });
      expect((await del(other, code(20))).status).toBe(404);
      expect((await del(tamtam, code(20))).status).toBe(204);
      expect((await del(tamtam, code(20))).status).toBe(404);
      const [entry] = await listEntriesOfNumber(db, '+79160000010');
      expect(entry?.closeReason).toBe('withdrawn');
    });

    it("answers 404 to a messenger reading another messenger's request", async () => {
      const body = request('+79160000005', code(30));
      await identify(tamtam, body);
      const res = await other.send({
        participantId: 'mts',
        baseUrl: operatorUrl,
        method: 'GET',
        path: `/v1/identifications/${body.requestId}`,
        answers: GET_IDENTIFICATION_ANSWERS,
      });
      expect(res.status).toBe(404);
      expect(bodyOf(res)).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('closes the register and writes a notice due in 24 h when the contract ends (R7)', async () => {
      clock.set('2026-11-29T08:00:00Z');
      const occurredAt = clock.now().toISOString();
      await internal('/internal/v1/subscriber-events', {
        events: [
          {
            type: 'contract_terminated',
            eventId: uuid(),
            msisdn: '+79160000001',
            contractId: 'C-1',
            occurredAt,
          },
        ],
      });
      const notices = (await inspectOutbox(db, { partnerId: 'tamtam' })).filter(
        (r) => r.kind === 'notice',
      );
      expect(notices).toHaveLength(1);
      expect(notices[0]?.dueBy?.toISOString()).toBe('2026-11-30T08:00:00.000Z');
      await node.runtime.outbox.drain();
      expect(received.notices).toContainEqual(
        expect.objectContaining({
          type: 'contract_terminated',
          identificationCode: code(7),
          occurredAt,
          dueBy: '2026-11-30T08:00:00.000Z',
        }),
      );
      expect(
        (await listEntriesOfNumber(db, '+79160000001')).every((e) => e.closedAt !== null),
      ).toBe(true);
    });

    it('keeps the internal API off the partner listener and behind its bearer credential', async () => {
      const onPartner = await fetch(`${operatorUrl}/internal/v1/subscriber-events`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect([401, 404]).toContain(onPartner.status);
      expect(
        (await internal('/internal/v1/subscriber-events', { events: [] }, 'wrong-token-000000'))
          .status,
      ).toBe(401);
      const metrics = await fetch(`${internalUrl}/metrics`);
      expect(await metrics.text()).toContain('idbridge_operator_identifications_total');
    });

    it('serves separate OpenAPI documents for the partner and internal APIs', async () => {
      const partnerDoc = (await (await fetch(`${operatorUrl}/docs`)).json()) as {
        paths: Record<string, unknown>;
      };
      const internalDoc = (await (await fetch(`${internalUrl}/docs`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(partnerDoc.paths)).toEqual(
        expect.arrayContaining(['/v1/identifications', '/v1/identifications/batch']),
      );
      expect(Object.keys(partnerDoc.paths)).not.toContain('/internal/v1/subscriber-events');
      expect(Object.keys(internalDoc.paths)).toContain('/internal/v1/subscriber-events');
    });
  });
}
