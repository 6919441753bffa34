import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest, verifyResponse } from '../../src/protocol/signatures/index.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';

const UNSUPPORTED = {
  status: 415,
  code: 'UNSUPPORTED_MEDIA_TYPE',
  message: 'content-type must be application/json',
};

// protocol.md §1: a body that is not JSON is 415 on every listener, before any
// schema looks at it — text/plain included.
for (const kind of TEST_DRIVERS) {
  describe(`non-JSON bodies are 415 on every listener [${kind}]`, () => {
    let network: IdentificationNetwork;
    beforeAll(async () => {
      network = await startIdentificationNetwork(kind);
    }, 60_000);
    afterAll(async () => network?.close());

    const text = JSON.stringify({ events: [] });

    for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/xml']) {
      it(`operator internal API: ${contentType}`, async () => {
        const res = await fetch(
          `${network.operators.mts!.internalUrl}/internal/v1/subscriber-events`,
          {
            method: 'POST',
            headers: {
              'content-type': contentType,
              authorization: 'Bearer test-internal-token-mts',
            },
            body: text,
          },
        );
        expect(res.status).toBe(415);
        expect(await res.json()).toEqual(UNSUPPORTED);
      });

      it(`messenger app API: ${contentType}`, async () => {
        const res = await fetch(`${network.messenger.appUrl}/app/v1/registrations`, {
          method: 'POST',
          headers: {
            'content-type': contentType,
            authorization: 'Bearer test-internal-token-tamtam',
          },
          body: JSON.stringify({ msisdn: '+79161234567' }),
        });
        expect(res.status).toBe(415);
        expect(await res.json()).toEqual(UNSUPPORTED);
      });

      for (const [caller, callee, path] of [
        ['tamtam', 'mts', '/v1/identifications'],
        ['mts', 'tamtam', '/v1/notifications'],
      ] as const) {
        it(`${callee} partner API ${path}: ${contentType}, answer signed`, async () => {
          const targetUri = `${network.net.baseUrl(callee)}${path}`;
          const body = JSON.stringify({ requestId: '0190f3a2-7c4e-7000-8000-000000000001' });
          const headers: Record<string, string> = { 'content-type': contentType };
          Object.assign(
            headers,
            signRequest(
              { method: 'POST', targetUri, headers, body },
              network.net.signers[caller]!,
              {
                created: network.clock.now(),
              },
            ),
          );
          const res = await fetch(targetUri, { method: 'POST', headers, body });
          const answer = Buffer.from(await res.arrayBuffer());
          expect(res.status).toBe(415);
          expect(JSON.parse(answer.toString('utf8'))).toEqual(UNSUPPORTED);
          // Errors are signed like any other answer (protocol.md §1).
          const verified = verifyResponse(
            { status: res.status, headers: Object.fromEntries(res.headers), body: answer },
            { method: 'POST', targetUri, headers, body: Buffer.from(body) },
            network.net.credentials(caller).resolveKey,
            { now: network.clock.now() },
          );
          expect(verified.participantId).toBe(callee);
        });
      }
    }
  });
}
