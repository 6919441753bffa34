import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { createSequentialIds } from '../../src/core/ids.js';
import { createSilentLogger } from '../../src/core/logger.js';
import { validateConfig } from '../../src/core/validate-config.js';
import type { Queryable } from '../../src/db/port.js';
import { createSmsSender } from '../../src/messenger/sms/create-sms-sender.js';
import { createHttpSmsSender } from '../../src/messenger/sms/http-sms-sender.js';
import { SmsConfigSchema } from '../../src/messenger/sms/sms-config.js';

interface SeenRequest {
  method: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

/** A provider on a loopback port that records requests and answers as told. */
async function startProvider(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: SeenRequest[]; server: Server }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    req.on('end', () => {
      seen.push({
        method: req.method,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: JSON.parse(raw),
      });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/sms`, seen, server };
}

function httpConfig(url: string, token = 'provider-token') {
  return validateConfig({ sender: 'http', http: { url, token, timeoutMs: 5000 } }, SmsConfigSchema);
}

const MESSAGE = { to: '+79161234567', text: 'Your code: 482913', reference: 'challenge-1' };

describe('HTTP SMS sender', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('posts the message as JSON with the bearer token and returns the provider id', async () => {
    const provider = await startProvider((_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messageId: 'prov-77' }));
    });
    server = provider.server;
    const config = httpConfig(provider.url);
    const sender = createSmsSender(config, {
      db: {} as Queryable, // not used by the HTTP sender
      clock: createManualClock(),
      ids: createSequentialIds(),
      log: createSilentLogger(),
    });
    expect(await sender.send(MESSAGE)).toEqual({ messageId: 'prov-77' });
    expect(provider.seen).toEqual([
      {
        method: 'POST',
        authorization: 'Bearer provider-token',
        contentType: 'application/json',
        body: MESSAGE,
      },
    ]);
  });

  it('falls back to our reference when the provider returns no id', async () => {
    const provider = await startProvider((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    server = provider.server;
    const sender = createHttpSmsSender(httpConfig(provider.url).http);
    expect(await sender.send(MESSAGE)).toEqual({ messageId: 'challenge-1' });
  });

  it('fails with UNAVAILABLE on a non-2xx answer, without echoing the message', async () => {
    const provider = await startProvider((_req, res) => {
      res.writeHead(502);
      res.end('upstream gone');
    });
    server = provider.server;
    const sender = createHttpSmsSender(httpConfig(provider.url).http);
    const err = await sender.send(MESSAGE).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: 'SMS provider answered HTTP 502' });
  });

  it('fails with UNAVAILABLE when the provider does not answer in time', async () => {
    const controller = new AbortController();
    const provider = await startProvider(() => {
      // Never answers; the timeout fires once the request has arrived.
      controller.abort(new DOMException('timed out', 'TimeoutError'));
    });
    server = provider.server;
    let askedMs: number | undefined;
    const sender = createHttpSmsSender(httpConfig(provider.url).http, {
      timeoutSignal: (ms) => {
        askedMs = ms;
        return controller.signal;
      },
    });
    await expect(sender.send(MESSAGE)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'SMS provider did not answer within 5000 ms',
    });
    expect(askedMs).toBe(5000);
  });

  it('fails with UNAVAILABLE when the provider cannot be reached', async () => {
    const provider = await startProvider(() => {});
    await new Promise((resolve) => provider.server.close(resolve));
    const sender = createHttpSmsSender(httpConfig(provider.url).http);
    await expect(sender.send(MESSAGE)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^SMS provider unreachable/),
    });
  });

  it('refuses to start without a token', () => {
    expect(() => createHttpSmsSender(httpConfig('http://127.0.0.1:1/sms', '').http)).toThrow(
      /sms\.http\.token is required/,
    );
  });
});
