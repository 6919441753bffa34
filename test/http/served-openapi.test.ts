import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnerClient, type PartnerClient } from '../../src/protocol/http/partner-client.js';
import {
  BATCH_ANSWERS,
  GET_IDENTIFICATION_ANSWERS,
  IDENTIFY_ANSWERS,
  NO_CONTENT_ANSWERS,
  NOTIFICATIONS_ANSWERS,
} from '../../src/protocol/schemas/index.js';
import { signRequest } from '../../src/protocol/signatures/index.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';
import {
  openApiDocumentErrors,
  type RecordedResponse,
  recordResponses,
  responseConformance,
  servedSchemaAccepts,
} from './served-openapi-conformance.js';

type Listener = 'operator partner' | 'operator internal' | 'messenger partner' | 'messenger app';

/**
 * protocol.md: "the project's OpenAPI document must match it". Every
 * listener's served document is a valid OpenAPI document, and every answer
 * the listeners gave during a full flow — registration, 200 and 202
 * identifications, callback, batch, notices, withdrawal and the errors — is
 * described by it: its status is documented and its body fits that schema.
 */
for (const kind of TEST_DRIVERS) {
  describe(`served OpenAPI documents describe the answers on the wire [${kind}]`, () => {
    let n: IdentificationNetwork;
    const recorded: Record<Listener, RecordedResponse[]> = {} as Record<
      Listener,
      RecordedResponse[]
    >;
    const documents: Partial<Record<Listener, Record<string, unknown>>> = {};
    let asMessenger: PartnerClient;
    let asOperator: PartnerClient;

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind);
      const urls: Record<Listener, string> = {
        'operator partner': n.net.baseUrl('mts'),
        'operator internal': n.operators.mts!.internalUrl,
        'messenger partner': n.net.baseUrl('tamtam'),
        'messenger app': n.messenger.appUrl,
      };
      for (const [listener, url] of Object.entries(urls) as Array<[Listener, string]>) {
        const res = await fetch(`${url}/docs`);
        expect(res.status).toBe(200);
        documents[listener] = (await res.json()) as Record<string, unknown>;
      }
      // Recording starts after the documents were read: from here on every answer counts.
      recorded['operator partner'] = recordResponses(n.operators.mts!.node.partnerApp.server);
      recorded['operator internal'] = recordResponses(n.operators.mts!.node.internalApp.server);
      recorded['messenger partner'] = recordResponses(n.messenger.node.partnerApp.server);
      recorded['messenger app'] = recordResponses(n.messenger.node.appApp.server);
      const resolveKey = n.net.credentials('tamtam').resolveKey;
      asMessenger = createPartnerClient({
        signer: n.net.signers.tamtam!,
        resolveKey,
        clock: n.clock,
      });
      asOperator = createPartnerClient({
        signer: n.net.signers.mts!,
        resolveKey: n.net.credentials('mts').resolveKey,
        clock: n.clock,
      });
      await driveFullFlow();
    }, 120_000);
    afterAll(async () => n?.close());

    /** Asks for a code, reads it from the development outbox, confirms it. */
    async function register(phone: string) {
      const started = await n.app<{ challengeId: string }>('POST', '/app/v1/registrations', {
        phone,
      });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      );
      const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1] as string;
      return n.app<{ outcome: string; user: { userId: string; state: string } }>(
        'POST',
        '/app/v1/registrations/confirm',
        { phone, code },
      );
    }

    async function signedText(caller: 'tamtam' | 'mts', callee: string, path: string) {
      const targetUri = `${n.net.baseUrl(callee)}${path}`;
      const body = '{}';
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      Object.assign(
        headers,
        signRequest({ method: 'POST', targetUri, headers, body }, n.net.signers[caller]!, {
          created: n.clock.now(),
        }),
      );
      return (await fetch(targetUri, { method: 'POST', headers, body })).status;
    }

    async function driveFullFlow() {
      const mts = n.operators.mts!;
      const start = (msisdn: string, contractId: string, extra = {}) => ({
        type: 'contract_started',
        msisdn,
        contractId,
        subscriberType: 'individual',
        hasSubscriberData: true,
        contractStart: '2020-01-01T00:00:00Z',
        ...extra,
      });
      await mts.events([
        start('+79160000001', 'M-1'),
        start('+79160000002', 'M-2'),
        start('+79160000003', 'M-3', { contractStart: '2022-01-01T00:00:00Z' }),
        start('+79160000009', 'M-9', { needsBssCheck: true }),
      ]);

      // Registration identified at once: operator 200 confirmed.
      const identified = await register('+79160000001');
      expect(identified.body.user.state).toBe('identified');
      // Registration the operator decides later: 202 pending, then the callback.
      const slow = await register('+79160000009');
      expect(slow.body.user.state).toBe('pending_identification');
      mts.setVerdict('confirmed');
      n.clock.advance(60_000);
      await n.settle();
      // Not served by this operator: 200 not_confirmed.
      const other = await asMessenger.send({
        participantId: 'mts',
        baseUrl: n.net.baseUrl('mts'),
        method: 'POST',
        path: '/v1/identifications',
        answers: IDENTIFY_ANSWERS,
        body: {
          requestId: randomUUID(),
          msisdn: '+79165550000',
          identificationCode: 'openapi-check-code-0001',
          purpose: 'registration',
          possessionVerifiedAt: n.clock.now().toISOString(),
        },
      });
      expect(other.status).toBe(200);
      // GET of a request, and of an unknown one (404).
      const [attempt] = (
        await n.messenger.db.query<{ request_id: string }>(
          'SELECT request_id FROM identification_attempts LIMIT 1',
        )
      ).rows;
      for (const id of [attempt?.request_id, randomUUID()]) {
        await asMessenger.send({
          participantId: 'mts',
          baseUrl: n.net.baseUrl('mts'),
          method: 'GET',
          path: `/v1/identifications/${id}`,
          answers: GET_IDENTIFICATION_ANSWERS,
        });
      }
      // Batch of legacy users (R9): confirmed, reassigned, not served; then a reused code (409).
      const batchItem = (msisdn: string, userSince: string, code: string) => ({
        requestId: randomUUID(),
        msisdn,
        identificationCode: code,
        userSince,
      });
      const batch = await asMessenger.send({
        participantId: 'mts',
        baseUrl: n.net.baseUrl('mts'),
        method: 'POST',
        path: '/v1/identifications/batch',
        answers: BATCH_ANSWERS,
        body: {
          batchId: randomUUID(),
          items: [
            batchItem('+79160000002', '2021-05-01', 'openapi-batch-code-0001'),
            batchItem('+79160000003', '2021-05-01', 'openapi-batch-code-0002'),
            batchItem('+79165550001', '2021-05-01', 'openapi-batch-code-0003'),
          ],
        },
      });
      expect(batch.status).toBe(200);
      const reused = await asMessenger.send({
        participantId: 'mts',
        baseUrl: n.net.baseUrl('mts'),
        method: 'POST',
        path: '/v1/identifications/batch',
        answers: BATCH_ANSWERS,
        body: {
          batchId: randomUUID(),
          items: [batchItem('+79160000009', '2021-05-01', 'openapi-batch-code-0001')],
        },
      });
      expect(reused.status).toBe(409);
      // Errors on the operator partner listener: 400, 401, 403, 415.
      const bad = await asMessenger.send({
        participantId: 'mts',
        baseUrl: n.net.baseUrl('mts'),
        method: 'POST',
        path: '/v1/identifications',
        answers: IDENTIFY_ANSWERS,
        body: { requestId: 'not-a-uuid' },
      });
      expect(bad.status).toBe(400);
      expect(
        (await fetch(`${n.net.baseUrl('mts')}/v1/identifications/${randomUUID()}`)).status,
      ).toBe(401);
      const asOtherOperator = createPartnerClient({
        signer: n.net.signers.megafon!,
        resolveKey: n.net.credentials('tamtam').resolveKey,
        clock: n.clock,
      });
      const wrongRole = await asOtherOperator.send({
        participantId: 'mts',
        baseUrl: n.net.baseUrl('mts'),
        method: 'GET',
        path: `/v1/identifications/${randomUUID()}`,
        answers: GET_IDENTIFICATION_ANSWERS,
      });
      expect(wrongRole.status).toBe(403);
      expect(await signedText('tamtam', 'mts', '/v1/identifications')).toBe(415);

      // Notices (R7): a terminated contract reaches the messenger; an unknown code is rejected.
      await mts.events([
        { type: 'contract_terminated', msisdn: '+79160000001', contractId: 'M-1' },
      ]);
      await n.settle();
      const notices = await asOperator.send({
        participantId: 'tamtam',
        baseUrl: n.net.baseUrl('tamtam'),
        method: 'POST',
        path: '/v1/notifications',
        answers: NOTIFICATIONS_ANSWERS,
        body: {
          notifications: [
            {
              notificationId: randomUUID(),
              type: 'contract_terminated',
              identificationCode: 'openapi-unknown-code-0001',
              occurredAt: n.clock.now().toISOString(),
              dueBy: new Date(n.clock.now().getTime() + 86_400_000).toISOString(),
            },
          ],
        },
      });
      expect(notices.status).toBe(200);
      // Errors on the messenger partner listener: 400, 401, 404, 415.
      const unknownResult = await asOperator.send({
        participantId: 'tamtam',
        baseUrl: n.net.baseUrl('tamtam'),
        method: 'POST',
        path: '/v1/identification-results',
        answers: NO_CONTENT_ANSWERS,
        body: {
          requestId: randomUUID(),
          result: 'confirmed',
          decidedAt: n.clock.now().toISOString(),
        },
      });
      expect(unknownResult.status).toBe(404);
      const badNotice = await asOperator.send({
        participantId: 'tamtam',
        baseUrl: n.net.baseUrl('tamtam'),
        method: 'POST',
        path: '/v1/notifications',
        answers: NOTIFICATIONS_ANSWERS,
        body: { notifications: [] },
      });
      expect(badNotice.status).toBe(400);
      expect(
        (
          await fetch(`${n.net.baseUrl('tamtam')}/v1/notifications`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(401);
      expect(await signedText('mts', 'tamtam', '/v1/notifications')).toBe(415);

      // App API: read, permission, reverification, deletion (the code is withdrawn: 204 at the operator).
      const userId = slow.body.user.userId;
      await n.app('GET', `/app/v1/users/${userId}`);
      await n.app('GET', `/app/v1/users/${userId}/permission`);
      const again = await n.app('POST', `/app/v1/users/${userId}/reverification`, {});
      expect(again.status).toBe(202);
      const wrong = await n.app('POST', `/app/v1/users/${userId}/reverification/confirm`, {
        code: '000000x',
      });
      expect(wrong.status).toBeGreaterThanOrEqual(400);
      expect((await n.app('DELETE', `/app/v1/users/${userId}`)).status).toBe(204);
      await n.settle();
      expect((await n.app('GET', `/app/v1/users/${randomUUID()}`)).status).toBe(404);
      expect((await n.app('POST', '/app/v1/registrations', { phone: 'not a phone' })).status).toBe(
        400,
      );
      expect((await n.app('POST', '/app/v1/registrations', { phone: '+79160000002' })).status).toBe(
        202,
      );
      expect((await n.app('POST', '/app/v1/registrations', { phone: '+79160000002' })).status).toBe(
        429,
      );
      const unauthenticated = await fetch(`${n.messenger.appUrl}/app/v1/users/${userId}`);
      expect(unauthenticated.status).toBe(401);
      const textBody = await fetch(`${n.messenger.appUrl}/app/v1/registrations`, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain',
          authorization: 'Bearer test-internal-token-tamtam',
        },
        body: '{}',
      });
      expect(textBody.status).toBe(415);

      // Internal API: events applied, a bad batch (400), no bearer (401), text (415).
      const internal = `${mts.internalUrl}/internal/v1/subscriber-events`;
      const post = (headers: Record<string, string>, body: string) =>
        fetch(internal, { method: 'POST', headers, body });
      const auth = { authorization: 'Bearer test-internal-token-mts' };
      expect(
        (await post({ ...auth, 'content-type': 'application/json' }, '{"events":[{}]}')).status,
      ).toBe(400);
      expect((await post({ 'content-type': 'application/json' }, '{"events":[]}')).status).toBe(
        401,
      );
      expect((await post({ ...auth, 'content-type': 'text/plain' }, '{}')).status).toBe(415);
    }

    const listeners: Listener[] = [
      'operator partner',
      'operator internal',
      'messenger partner',
      'messenger app',
    ];

    for (const listener of listeners) {
      it(`${listener}: the served document is valid OpenAPI`, async () => {
        const document = documents[listener];
        expect(document?.openapi).toMatch(/^3\./);
        expect(await openApiDocumentErrors(document)).toEqual([]);
      });

      it(`${listener}: every answer on the wire is documented and fits its schema`, () => {
        const { problems } = responseConformance(
          documents[listener] as Parameters<typeof responseConformance>[0],
          recorded[listener],
        );
        expect(recorded[listener].length).toBeGreaterThan(0);
        expect(problems).toEqual([]);
      });
    }

    it('the operator partner document refuses bodies the protocol forbids (protocol.md §2)', () => {
      const document = documents['operator partner'] as Parameters<typeof servedSchemaAccepts>[0];
      const requestId = randomUUID();
      const at = '2026-11-28T09:00:00Z';
      const accepts = (template: string, status: number, body: unknown, method = 'POST') =>
        servedSchemaAccepts(document, { method, template, status }, body);
      const confirmed = { requestId, result: 'confirmed', confirmedAt: at };
      const pending = { requestId, result: 'pending', answerBy: at };
      expect(accepts('/v1/identifications', 200, confirmed)).toBe(true);
      expect(accepts('/v1/identifications', 202, pending)).toBe(true);
      // 200 is a decision, 202 is pending: neither admits the other.
      expect(accepts('/v1/identifications', 200, pending)).toBe(false);
      expect(accepts('/v1/identifications', 202, confirmed)).toBe(false);
      expect(accepts('/v1/identifications/{requestId}', 200, pending, 'GET')).toBe(true);
      // A batch reason comes with not_confirmed, and only with it.
      const batch = (item: Record<string, unknown>) => ({
        batchId: requestId,
        results: [{ requestId, ...item }],
      });
      expect(accepts('/v1/identifications/batch', 200, batch({ result: 'confirmed' }))).toBe(true);
      expect(
        accepts(
          '/v1/identifications/batch',
          200,
          batch({ result: 'confirmed', reason: 'NUMBER_REASSIGNED' }),
        ),
      ).toBe(false);
      expect(accepts('/v1/identifications/batch', 200, batch({ result: 'not_confirmed' }))).toBe(
        false,
      );
    });

    it('the flow reached every operation with the answers the protocol names', () => {
      const seen = (listener: Listener) =>
        responseConformance(
          documents[listener] as Parameters<typeof responseConformance>[0],
          recorded[listener],
        ).seen;
      expect([...seen('operator partner')].sort()).toEqual(
        expect.arrayContaining([
          'POST /v1/identifications 200',
          'POST /v1/identifications 202',
          'POST /v1/identifications 400',
          'POST /v1/identifications 415',
          'GET /v1/identifications/{requestId} 200',
          'GET /v1/identifications/{requestId} 401',
          'GET /v1/identifications/{requestId} 403',
          'GET /v1/identifications/{requestId} 404',
          'POST /v1/identifications/batch 200',
          'POST /v1/identifications/batch 409',
          'DELETE /v1/registrations/{identificationCode} 204',
        ]),
      );
      expect([...seen('messenger partner')].sort()).toEqual(
        expect.arrayContaining([
          'POST /v1/identification-results 204',
          'POST /v1/identification-results 404',
          'POST /v1/notifications 200',
          'POST /v1/notifications 400',
          'POST /v1/notifications 401',
          'POST /v1/notifications 415',
        ]),
      );
      expect([...seen('operator internal')].sort()).toEqual(
        expect.arrayContaining([
          'POST /internal/v1/subscriber-events 200',
          'POST /internal/v1/subscriber-events 400',
          'POST /internal/v1/subscriber-events 401',
          'POST /internal/v1/subscriber-events 415',
        ]),
      );
      expect([...seen('messenger app')].sort()).toEqual(
        expect.arrayContaining([
          'POST /app/v1/registrations 202',
          'POST /app/v1/registrations 400',
          'POST /app/v1/registrations 415',
          'POST /app/v1/registrations 429',
          'POST /app/v1/registrations/confirm 200',
          'GET /app/v1/users/{userId} 200',
          'GET /app/v1/users/{userId} 401',
          'GET /app/v1/users/{userId} 404',
          'GET /app/v1/users/{userId}/permission 200',
          'POST /app/v1/users/{userId}/reverification 202',
          'DELETE /app/v1/users/{userId} 204',
          'GET /app/v1/dev/sms-outbox 200',
        ]),
      );
    });
  });
}
