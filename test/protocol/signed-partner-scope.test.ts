import { Type } from '@sinclair/typebox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createHttpApp, type HttpApp } from '../../src/http/create-http-app.js';
import { hashRequestBody, runIdempotent } from '../../src/partner-records/idempotency-store.js';
import { createReplayStore } from '../../src/partner-records/replay-store.js';
import { createPartnerClient } from '../../src/protocol/http/partner-client.js';
import { applySignedPartnerScope } from '../../src/protocol/http/signed-partner-scope.js';
import { IDENTIFY_ANSWERS, IdentificationRequest } from '../../src/protocol/schemas/index.js';
import { signRequest } from '../../src/protocol/signatures/index.js';
import { bodyOf } from '../helpers/partner-body.js';
import { createTestDatabase, TEST_DRIVERS } from '../helpers/test-database.js';
import { createTestPartners } from '../helpers/test-partners.js';

// The answers of this test's own routes, which stand in for the protocol's.
const ECHO_ANSWERS = {
  200: Type.Object({ requestId: Type.String(), caller: Type.String() }),
} as const;
const PING_ANSWERS = { 200: Type.Object({ caller: Type.String() }) } as const;

const clock = createManualClock('2026-11-28T09:00:00Z');
const { keys, resolveKey } = createTestPartners(['mts', 'tamtam']);
const mts = keys.mts!;
const tamtam = keys.tamtam!;

const validBody = {
  requestId: '0190f3a2-7c4e-7000-8000-000000000001',
  msisdn: '+79161234567',
  identificationCode: 'c0de-0000-0000-0001',
  purpose: 'registration',
  possessionVerifiedAt: '2026-11-28T08:59:00Z',
};

for (const kind of TEST_DRIVERS) {
  describe(`signed partner routes [${kind}]`, () => {
    let db: Database;
    let app: HttpApp;
    let baseUrl: string;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      await migrate(db, ['shared']);
      await db.exec('CREATE TABLE effects (request_id uuid PRIMARY KEY, caller text)');
      app = createHttpApp({ bodyLimit: 64 * 1024 });
      await app.register(async (scope) => {
        applySignedPartnerScope(scope, {
          resolveKey,
          clock,
          signer: mts.signer,
          replay: createReplayStore({ db, clock, windowSeconds: 300 }),
          bodyLimit: 64 * 1024,
        });
        scope.post(
          '/v1/identifications',
          { schema: { body: IdentificationRequest } },
          async (request, reply) => {
            const body = request.body as { requestId: string };
            const caller = request.partner!.participantId;
            const outcome = await runIdempotent(
              db,
              {
                callerId: caller,
                key: body.requestId,
                requestHash: hashRequestBody(request.rawBody!),
              },
              clock,
              async (tx) => {
                await tx.query('INSERT INTO effects VALUES ($1, $2)', [body.requestId, caller]);
                return { statusCode: 200, body: { requestId: body.requestId, caller } };
              },
            );
            return reply.code(outcome.statusCode).send(outcome.body);
          },
        );
        scope.get('/v1/ping', async (request) => ({ caller: request.partner!.participantId }));
        // Validly signed answers that the protocol does not allow.
        scope.get('/v1/odd/:kind', async (request, reply) => {
          const { kind } = request.params as { kind: string };
          if (kind === 'no-confirmed-at')
            return { requestId: validBody.requestId, result: 'confirmed' };
          if (kind === 'extra-field')
            return {
              requestId: validBody.requestId,
              result: 'pending',
              answerBy: '2026-12-08T00:20:00Z',
              msisdn: '+79161234567',
            };
          if (kind === 'created') return reply.code(201).send({ requestId: validBody.requestId });
          return reply.code(400).send({ error: 'not a CAMARA body' });
        });
        scope.delete('/v1/ping', async (_request, reply) => reply.code(204).send());
      });
      baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(async () => {
      await app.close();
      await db.close();
    });

    const effectCount = async () =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM effects')).rows[0]?.n);

    /** A correctly signed request, as raw fetch arguments, optionally tampered afterwards. */
    function signed(
      body: string | undefined,
      opts: { method?: string; path?: string; contentType?: string } = {},
    ) {
      const method = opts.method ?? 'POST';
      const targetUri = `${baseUrl}${opts.path ?? '/v1/identifications'}`;
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
      Object.assign(
        headers,
        signRequest({ method, targetUri, headers, body }, tamtam.signer, { created: clock.now() }),
      );
      return { url: targetUri, init: { method, headers, body } };
    }

    it('accepts a signed request, knows the caller, and signs the answer', async () => {
      const client = createPartnerClient({ signer: tamtam.signer, resolveKey, clock });
      const res = await client.send({
        participantId: 'mts',
        baseUrl,
        method: 'POST',
        path: '/v1/identifications',
        answers: ECHO_ANSWERS,
        body: validBody,
        correlator: 'corr-1',
      });
      expect(res.status).toBe(200);
      expect(bodyOf(res)).toEqual({ requestId: validBody.requestId, caller: 'tamtam' });
      expect(res.evidence.signatureBase).toContain('"@status": 200');
      const ping = await client.send({
        participantId: 'mts',
        baseUrl,
        method: 'GET',
        path: '/v1/ping',
        answers: PING_ANSWERS,
      });
      expect(bodyOf(ping)).toEqual({ caller: 'tamtam' });
    });

    it.each([
      [
        'a confirmation without its time',
        'no-confirmed-at',
        /HTTP 200 with a body the protocol does not allow/,
      ],
      [
        'an answer with a field the protocol lacks',
        'extra-field',
        /HTTP 200 with a body the protocol does not allow/,
      ],
      [
        'a status the request does not have',
        'created',
        /HTTP 201 with a status this request does not have/,
      ],
      ['an error body that is not CAMARA', 'error', /HTTP 400 with an error body that is not/],
    ])('refuses %s although it is validly signed', async (_case, kind, message) => {
      const client = createPartnerClient({ signer: tamtam.signer, resolveKey, clock });
      const sent = client.send({
        participantId: 'mts',
        baseUrl,
        method: 'GET',
        path: `/v1/odd/${kind}`,
        answers: IDENTIFY_ANSWERS,
      });
      await expect(sent).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(message),
      });
    });

    it('returns the first answer for a retried id and 409 for the id with another body', async () => {
      const client = createPartnerClient({ signer: tamtam.signer, resolveKey, clock });
      const send = (body: object) =>
        client.send({
          participantId: 'mts',
          baseUrl,
          method: 'POST',
          path: '/v1/identifications',
          answers: ECHO_ANSWERS,
          body,
        });
      const retry = await send(validBody);
      expect(retry.status).toBe(200);
      const conflict = await send({ ...validBody, msisdn: '+79161234568' });
      expect(conflict.status).toBe(409);
      expect(bodyOf(conflict)).toMatchObject({ status: 409, code: 'CONFLICT' });
      expect(await effectCount()).toBe(1);
    });

    it('refuses a replayed request, also with a fresh body parse', async () => {
      const req = signed(
        JSON.stringify({ ...validBody, requestId: '0190f3a2-7c4e-7000-8000-0000000000aa' }),
      );
      expect((await fetch(req.url, req.init)).status).toBe(200);
      const replay = await fetch(req.url, req.init);
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/replay/),
      });
    });

    it('refuses tampering with the body, method, path or signature headers', async () => {
      const body = JSON.stringify({
        ...validBody,
        requestId: '0190f3a2-7c4e-7000-8000-0000000000bb',
      });
      const changedBody = signed(body);
      changedBody.init.body = body.replace('+79161234567', '+79161234560');
      const changedPath = signed(body);
      const changedMethod = signed(undefined, { method: 'GET', path: '/v1/ping' });
      const noSignature = signed(body);
      delete (noSignature.init.headers as Record<string, string>).signature;
      for (const [url, init] of [
        [changedBody.url, changedBody.init],
        [`${baseUrl}/v1/identifications?x=1`, changedPath.init],
        [changedMethod.url, { ...changedMethod.init, method: 'DELETE' }],
        [noSignature.url, noSignature.init],
      ] as const) {
        const res = await fetch(url, init);
        expect(res.status).toBe(401);
        expect(await res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
      }
      expect(await effectCount()).toBe(2);
    });

    it('refuses a request signed by a key it does not know', async () => {
      const strangerOnly = createTestPartners(['stranger']);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const body = JSON.stringify(validBody);
      const url = `${baseUrl}/v1/identifications`;
      Object.assign(
        headers,
        signRequest(
          { method: 'POST', targetUri: url, headers, body },
          strangerOnly.keys.stranger!.signer,
          {
            created: clock.now(),
          },
        ),
      );
      const res = await fetch(url, { method: 'POST', headers, body });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/unknown keyid/),
      });
    });

    it('echoes a valid x-correlator and refuses an invalid one', async () => {
      const ok = signed(undefined, { method: 'GET', path: '/v1/ping' });
      const res = await fetch(ok.url, {
        ...ok.init,
        headers: { ...ok.init.headers, 'x-correlator': 'abc-123' },
      });
      expect(res.headers.get('x-correlator')).toBe('abc-123');
      const bad = signed(undefined, { method: 'GET', path: '/v1/ping' });
      const res2 = await fetch(bad.url, {
        ...bad.init,
        headers: { ...bad.init.headers, 'x-correlator': 'a b"c' },
      });
      expect(res2.status).toBe(400);
      expect(res2.headers.get('x-correlator')).toBeNull();
    });

    it('answers 1,000 generated malformed requests with 4xx CAMARA bodies only, changing nothing', async () => {
      const before = await effectCount();
      const valid = { ...validBody };
      const mutations = fc.oneof(
        // wrong types, missing fields, extra fields, huge strings, invalid numbers
        fc
          .record({
            field: fc.constantFrom(...Object.keys(valid)),
            value: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())),
          })
          .map(({ field, value }) => ({
            kind: 'signed-json',
            body: JSON.stringify({ ...valid, [field]: value }),
          })),
        fc.constantFrom(...Object.keys(valid)).map((field) => {
          const copy: Record<string, unknown> = { ...valid };
          delete copy[field];
          return { kind: 'signed-json', body: JSON.stringify(copy) };
        }),
        fc
          .string({ minLength: 1, maxLength: 20 })
          .filter((k) => !(k in valid))
          .map((extra) => ({
            kind: 'signed-json',
            body: JSON.stringify({ ...valid, [extra]: 'x' }),
          })),
        fc.string({ minLength: 70_000, maxLength: 70_100 }).map((huge) => ({
          kind: 'signed-json',
          body: JSON.stringify({ ...valid, msisdn: huge }),
        })),
        fc.string({ minLength: 300, maxLength: 5000 }).map((long) => ({
          kind: 'signed-json',
          body: JSON.stringify({ ...valid, identificationCode: long }),
        })),
        fc
          .oneof(
            fc.string(),
            fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/),
            fc.constantFrom('+7916123456', '+0123456789', '79161234567', '+7916123456789012'),
          )
          .map((msisdn) => ({
            kind: 'signed-json',
            body: JSON.stringify({ ...valid, msisdn }),
          })),
        fc.string().map((s) => ({ kind: 'signed-json', body: `{${s}` })),
        fc.string({ minLength: 1 }).map((s) => ({ kind: 'signed-text', body: s })),
        fc.string().map((sig) => ({ kind: 'broken-signature', body: JSON.stringify(valid), sig })),
        fc.string().map((digest) => ({ kind: 'bad-digest', body: JSON.stringify(valid), digest })),
        fc.constant({ kind: 'unsigned', body: JSON.stringify(valid) }),
      );
      let count = 0;
      await fc.assert(
        fc.asyncProperty(mutations, async (m) => {
          count++;
          const req = signed(m.body, {
            contentType: m.kind === 'signed-text' ? 'text/plain' : 'application/json',
          });
          const headers = req.init.headers as Record<string, string>;
          if (m.kind === 'broken-signature')
            headers.signature = (m as { sig: string }).sig.replace(/[\r\n]/g, '');
          if (m.kind === 'bad-digest')
            headers['content-digest'] =
              `sha-256=:${Buffer.from((m as { digest: string }).digest).toString('base64')}:`;
          if (m.kind === 'unsigned') {
            delete headers.signature;
            delete headers['signature-input'];
          }
          let res: Response;
          try {
            res = await fetch(req.url, req.init);
          } catch (err) {
            // Header values the fetch client itself refuses never reach the server.
            expect(String(err)).toMatch(/header|Header|invalid/);
            return;
          }
          const text = await res.text();
          expect(res.status, text).toBeGreaterThanOrEqual(400);
          expect(res.status, text).toBeLessThan(500);
          const body = JSON.parse(text);
          expect(Object.keys(body).sort()).toEqual(['code', 'message', 'status']);
          expect(body.status).toBe(res.status);
        }),
        { numRuns: 1000, seed: 20261128 },
      );
      expect(count).toBeGreaterThanOrEqual(1000);
      expect(await effectCount()).toBe(before);
    });
  });
}
