import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/http/create-http-app.js';

/**
 * A node's stop must end even when a client stops reading a response: the
 * close of its listener used to wait for that connection forever (seen as
 * a hung node-console test, and a node that a SIGTERM could not stop).
 */
describe('http app close', () => {
  it('cuts a connection whose client stops reading, after the drain time', async () => {
    const app = createHttpApp({ drainMs: 300 });
    // Streamed, as a static file is: the response is not over until the
    // stream ends, and the stream waits for the client to read.
    const chunk = Buffer.alloc(64 * 1024, 120);
    app.get('/big', async (_req, reply) =>
      reply.type('text/plain').send(
        Readable.from(
          (function* () {
            for (let i = 0; i < 512; i++) yield chunk;
          })(),
        ),
      ),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };

    const socket = connect(port, '127.0.0.1');
    socket.pause();
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
    // Let the server fill the socket buffers; the client reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = Date.now();
    const outcome = await Promise.race([
      app.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 5_000)),
    ]);
    expect(outcome).toBe('closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    socket.resume();
    await closed;
  });
});
