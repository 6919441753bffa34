import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import { registerNodeProcessMetrics } from '../../src/http/http-metrics.js';
import {
  type IdentificationNetwork,
  startIdentificationNetwork,
} from '../helpers/identification-network.js';

function capture() {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), raw };
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * Issue 29 item 1: what a node does is visible — an access line per request,
 * process and request-duration metrics, SMS sends by outcome, and fast
 * operator answers measured in milliseconds rather than recorded as 0 s.
 */
describe('access log and node metrics', () => {
  let n: IdentificationNetwork;
  const messengerLog = capture();

  beforeAll(async () => {
    n = await startIdentificationNetwork('pglite', { messengerLog: messengerLog.log });
    await n.operators.mts!.events([
      {
        type: 'contract_started',
        msisdn: '+79160000001',
        contractId: 'M-1',
        subscriberType: 'individual',
        hasSubscriberData: true,
      },
    ]);
    const sent = await n.app<{ challengeId: string }>('POST', '/app/v1/registrations', {
      phone: '+79160000001',
    });
    expect(sent.status).toBe(202);
    const outbox = await n.app<{ messages: Array<{ text: string }> }>(
      'GET',
      '/app/v1/dev/sms-outbox?phone=%2B79160000001&limit=1',
    );
    const code = /(\d{6})/.exec(outbox.body.messages[0]?.text ?? '')?.[1];
    const confirmed = await n.app<{ user: { state: string; userId: string } }>(
      'POST',
      '/app/v1/registrations/confirm',
      { phone: '+79160000001', code },
    );
    expect(confirmed.body.user.state).toBe('identified');
    await fetch(`${n.messenger.appUrl}/app/v1/users/${confirmed.body.user.userId}`, {
      headers: { authorization: 'Bearer test-internal-token-tamtam', 'x-correlator': 'corr-42' },
    });
  });
  afterAll(() => n.close());

  it('writes one JSON line per request with route template, status, duration and correlator, numbers never in clear', () => {
    const lines = messengerLog.raw
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    expect(lines.map((l) => `${l.method} ${l.route} ${l.status}`)).toEqual(
      expect.arrayContaining([
        'POST /app/v1/registrations 202',
        'GET /app/v1/dev/sms-outbox 200',
        'POST /app/v1/registrations/confirm 200',
        'GET /app/v1/users/:userId 200',
      ]),
    );
    const withCorrelator = lines.find((l) => l.route === '/app/v1/users/:userId');
    expect(withCorrelator).toMatchObject({ listener: 'app', correlator: 'corr-42' });
    expect(typeof withCorrelator?.ms).toBe('number');
    expect(messengerLog.raw.join('\n')).not.toContain('9160000001');
  });

  it('serves process metrics, request durations by route and SMS sends by outcome', async () => {
    const text = await n.messenger.node.registry.metrics();
    expect(text).toMatch(/^idbridge_process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^idbridge_nodejs_eventloop_lag_seconds /m);
    expect(
      sample(text, 'idbridge_http_request_duration_seconds_count', {
        listener: 'app',
        method: 'POST',
        route: '/app/v1/registrations',
        status: '202',
      }),
    ).toBe(1);
    expect(sample(text, 'idbridge_messenger_sms_sends_total', { outcome: 'sent' })).toBe(1);
  });

  it("records the operator's fast answer in milliseconds, not as 0 s", async () => {
    const text = await n.operators.mts!.node.registry.metrics();
    const count = sample(text, 'idbridge_operator_answer_seconds_count', { messenger: 'tamtam' });
    const sum = sample(text, 'idbridge_operator_answer_seconds_sum', { messenger: 'tamtam' });
    expect(count).toBe(1);
    expect(sum).toBeGreaterThan(0);
    expect(text).toContain(
      'idbridge_operator_answer_seconds_bucket{le="0.001",messenger="tamtam"}',
    );
  });

  it('log.access defaults on; false turns the lines off', async () => {
    expect(loadConfig({ env: {} }).log.access).toBe(true);
    expect(loadConfig({ env: { IDBRIDGE_LOG__ACCESS: 'false' } }).log.access).toBe(false);
    const quiet = capture();
    const app = createHttpApp({
      log: quiet.log,
      accessLog: false,
      requestSeconds: registerNodeProcessMetrics(new Registry()),
    });
    app.get('/x', async () => ({ ok: true }));
    expect((await app.inject({ method: 'GET', url: '/x' })).statusCode).toBe(200);
    await app.close();
    expect(quiet.raw.filter((l) => l.includes('"msg":"request"'))).toEqual([]);
  });
});
