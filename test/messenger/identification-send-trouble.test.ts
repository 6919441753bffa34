import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { signResponse } from '../../src/protocol/signatures/sign-message.js';
import { generateSigningKeyPair } from '../../src/protocol/signatures/signing-keys.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';
import { TEST_DRIVERS } from '../helpers/test-database.js';

interface LogLine {
  level: number;
  msg: string;
  operator?: string;
  cause?: string;
}

/** The messenger's log as JSON lines, kept for the test to read. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(text);
        lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines, raw };
}

async function metricValue(
  n: IdentificationNetwork,
  name: string,
  labels: string,
): Promise<number> {
  const text = await n.messenger.node.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Issue 23 item 11: with a stale operator key in the messenger's directory,
 * users waited 20 minutes with only warn lines to show. Now every send is
 * counted per operator, result and cause, waiting users are a gauge, and one
 * error line per operator and cause says what to fix.
 */
for (const kind of TEST_DRIVERS) {
  describe(`the messenger's requests to operators are visible [${kind}]`, () => {
    let n: IdentificationNetwork;
    const captured = capturingLogger();
    const STALE_KID = 'mts-stale-key';

    beforeAll(async () => {
      n = await startIdentificationNetwork(kind, {
        messengerLog: captured.log,
        // The messenger's directory still holds an old key of MTS.
        messengerDirectory: (participants) =>
          participants.map((p) =>
            p.id === 'mts' ? { ...p, keys: [generateSigningKeyPair(STALE_KID).publicJwk] } : p,
          ),
      });
      const started = (msisdn: string, contractId: string) => ({
        type: 'contract_started',
        msisdn,
        contractId,
        subscriberType: 'individual',
        hasSubscriberData: true,
      });
      await n.operators.mts!.events([
        started('+79160000001', 'M-1'),
        started('+79160000002', 'M-2'),
      ]);
      await n.operators.megafon!.events([started('+79260000001', 'F-1')]);
    });
    afterAll(() => n.close());

    async function register(phone: string): Promise<{ status: number; state: string }> {
      const sent = await n.app<{ challengeId: string }>('POST', '/app/v1/registrations', { phone });
      expect(sent.status).toBe(202);
      const outbox = await n.app<{ messages: Array<{ text: string }> }>(
        'GET',
        `/app/v1/dev/sms-outbox?phone=${encodeURIComponent(phone)}&limit=1`,
      );
      const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1];
      const res = await n.app<{ user: { state: string } }>(
        'POST',
        '/app/v1/registrations/confirm',
        {
          phone,
          code,
        },
      );
      return { status: res.status, state: res.body.user.state };
    }

    it('counts failed sends by cause, the waiting users, and logs one error line per cause', async () => {
      expect((await register('+79160000001')).state).toBe('pending_identification');
      expect((await register('+79160000002')).state).toBe('pending_identification');
      // Both retried once, still failing.
      n.clock.advance(15_000);
      await n.messenger.node.runDuties();

      const failed = 'operator="mts",result="failed",cause="signature"';
      expect(await metricValue(n, 'idbridge_messenger_identification_requests_total', failed)).toBe(
        4,
      );
      expect(
        await metricValue(n, 'idbridge_messenger_identification_retries_total', 'operator="mts"'),
      ).toBe(2);
      expect(await metricValue(n, 'idbridge_messenger_users_waiting', 'operator="mts"')).toBe(2);

      const errors = captured.lines.filter((l) => l.level >= 50 && l.operator === 'mts');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.cause).toBe('signature');
      expect(errors[0]?.msg).toContain(STALE_KID);
      expect(errors[0]?.msg).toMatch(/check it holds mts's current public key/);
      // The numbers stay masked in every line (R11).
      expect(captured.raw.join('\n')).not.toMatch(/79160000001|79160000002/);
    });

    it('an unreachable operator: its own cause and line; answered again once it is back', async () => {
      await n.operators.megafon!.network.down();
      expect((await register('+79260000001')).state).toBe('pending_identification');
      const unreachable = 'operator="megafon",result="failed",cause="unreachable"';
      expect(
        await metricValue(n, 'idbridge_messenger_identification_requests_total', unreachable),
      ).toBe(1);
      const errors = captured.lines.filter((l) => l.level >= 50 && l.operator === 'megafon');
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(/unreachable at http:\/\/127\.0\.0\.1:\d+/);

      await n.operators.megafon!.network.up();
      n.clock.advance(15_000);
      await n.messenger.node.runDuties();
      const answered = 'operator="megafon",result="answered",cause="none"';
      expect(
        await metricValue(n, 'idbridge_messenger_identification_requests_total', answered),
      ).toBe(1);
      expect(await metricValue(n, 'idbridge_messenger_users_waiting', 'operator="megafon"')).toBe(
        0,
      );
      expect(
        captured.lines.some(
          (l) =>
            l.level === 30 && l.msg === 'operator megafon answers identification requests again',
        ),
      ).toBe(true);
    });

    it('a signed 503 from the operator leaves the user waiting and is retried, not decided', async () => {
      // Megafon's node is replaced on its port by one that answers 503 UNAVAILABLE, signed.
      const megafon = n.operators.megafon!;
      await megafon.network.down();
      const port = n.net.ports.megafon!;
      const signer = n.net.signers.megafon!;
      const unavailable = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.from(
            JSON.stringify({ status: 503, code: 'UNAVAILABLE', message: 'database unavailable' }),
          );
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          const signature = signResponse(
            { status: 503, headers, body },
            {
              method: req.method ?? 'POST',
              targetUri: `http://127.0.0.1:${port}${req.url}`,
              headers: req.headers as Record<string, string>,
              body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
            },
            signer,
            { created: n.clock.now() },
          );
          res.writeHead(503, { ...headers, ...signature }).end(body);
        });
      });
      await new Promise<void>((done) => unavailable.listen(port, '127.0.0.1', () => done()));
      try {
        await megafon.events([
          {
            type: 'contract_started',
            msisdn: '+79260000002',
            contractId: 'F-2',
            subscriberType: 'individual',
            hasSubscriberData: true,
          },
        ]);
        expect((await register('+79260000002')).state).toBe('pending_identification');
        const http503 = 'operator="megafon",result="failed",cause="http_503"';
        expect(
          await metricValue(n, 'idbridge_messenger_identification_requests_total', http503),
        ).toBe(1);
        expect(await metricValue(n, 'idbridge_messenger_users_waiting', 'operator="megafon"')).toBe(
          1,
        );
      } finally {
        await new Promise<void>((done) => unavailable.close(() => done()));
      }
      // Back: the retry reaches the real node, which confirms.
      await megafon.network.up();
      n.clock.advance(15_000);
      await n.messenger.node.runDuties();
      expect(await metricValue(n, 'idbridge_messenger_users_waiting', 'operator="megafon"')).toBe(
        0,
      );
    });
  });
}
