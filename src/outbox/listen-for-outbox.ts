import pg from 'pg';
import type { Logger } from '../core/logger.js';
import { assertSchemaName } from '../db/port.js';
import { OUTBOX_CHANNEL } from './outbox-store.js';

export interface ListenForOutboxOptions {
  /** PostgreSQL connection string (the same database the node uses). */
  url: string;
  /** Only notifications of this schema wake the worker (several nodes may share a server). */
  schema: string;
  /** Usually `worker.wake`. */
  onWake: () => void;
  signal: AbortSignal;
  log: Logger;
  /** Wait before reconnecting after the connection drops (default 1 s). */
  reconnectDelayMs?: number;
}

/**
 * Holds one dedicated connection in LISTEN on the outbox channel, so a worker
 * in any process wakes as soon as any process commits an enqueue (polling
 * stays the backstop). The Database port exposes no raw clients, hence a
 * connection of its own. On a dropped connection it reconnects and wakes the
 * worker once, since notifications sent meanwhile are lost. Resolves once
 * the first LISTEN is active; stops when `signal` aborts.
 */
export async function listenForOutbox(
  options: ListenForOutboxOptions,
): Promise<{ closed: Promise<void> }> {
  const schema = assertSchemaName(options.schema);
  const { signal, log } = options;
  let client: pg.Client | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: options.url,
      application_name: 'idbridge-outbox-listen',
    });
    c.on('notification', (msg) => {
      if (msg.channel === OUTBOX_CHANNEL && msg.payload === schema) options.onWake();
    });
    const lost = new Promise<void>((resolve) => {
      c.on('error', (err) => {
        log.warn({ err }, 'outbox: listen connection failed');
        resolve();
      });
      c.on('end', () => resolve());
    });
    await c.connect();
    await c.query(`LISTEN ${OUTBOX_CHANNEL}`);
    client = c;
    void lost.then(() => reconnect(c));
  };

  const reconnect = async (old: pg.Client): Promise<void> => {
    if (client !== old) return;
    client = undefined;
    await old.end().catch(() => {});
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, options.reconnectDelayMs ?? 1_000));
      if (signal.aborted) return;
      try {
        await connect();
        options.onWake();
        return;
      } catch (err) {
        log.warn({ err }, 'outbox: cannot reconnect the listen connection yet');
      }
    }
  };

  await connect();
  const closed = new Promise<void>((resolve) => {
    const stop = (): void => {
      const c = client;
      client = undefined;
      void (c ? c.end().catch(() => {}) : Promise.resolve()).then(() => resolve());
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  return { closed };
}
