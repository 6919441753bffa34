import { type Consumer, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { SubscriberEventResult } from '../subscriber-event-result.js';
import type { SubscriberEvent } from '../subscriber-event-schema.js';
import { connectNats } from './connect-nats.js';
import { ensureNatsConsumer } from './ensure-nats-consumer.js';
import {
  createMessageHandler,
  keepAliveIntervalMs,
  retryDelayMs,
} from './handle-subscriber-event-message.js';
import type { NatsConsumerConfig } from './nats-config.js';
import { createNatsConsumerStats, type NatsConsumerStats } from './nats-consumer-stats.js';

export interface NatsSubscriberEventConsumerOptions {
  config: NatsConsumerConfig;
  clock: Clock;
  log: Logger;
  /**
   * Applies and COMMITS the events (the node wires applySubscriberEvents with
   * its R7 hooks); one result per event. A message is acknowledged only after
   * this resolved without a `failed` result.
   */
  apply: (events: SubscriberEvent[]) => Promise<SubscriberEventResult[]>;
  /** Aborting stops the consumer after the message in hand. */
  signal?: AbortSignal;
}

export interface NatsSubscriberEventConsumer {
  stats(): NatsConsumerStats;
  /** Stops after the message in hand and closes the connection. */
  stop(): Promise<void>;
  /** Settles when the consumer has stopped. */
  readonly done: Promise<void>;
}

/**
 * Consumes BSS subscriber events from a JetStream durable pull consumer.
 *
 * - At least once, exactly once in effect through `apply`'s idempotency on
 *   eventId: a message is acked only after `apply` resolved (committed); a
 *   crash before the ack means a redelivery that `apply` answers as a
 *   duplicate.
 * - Invalid messages (not JSON, not a SubscriberEvent or `{events:[...]}`)
 *   are terminated with the reason logged: no retry, and they block nothing.
 * - Results `applied` and `refused` (out of order, impossible: final and
 *   recorded) are acked. A `failed` result or a throw sends the message back
 *   for redelivery after a growing delay, until `maxDeliver` (then
 *   dead-letter or terminate; see nats-config.ts).
 * - Order: the messages of one pull are applied one after another in stream
 *   order. After a failure the rest of the pull is held unapplied; when the
 *   pull has ended and the retry delay has passed, the held messages are
 *   nak-ed in stream order, each confirmed by the server, and the consumer
 *   pulls one message at a time until an apply succeeds. JetStream serves
 *   nak-ed messages before new ones, so no later event of a number overtakes
 *   a failed one. (A server-side nak delay would not give that: messages
 *   arriving meanwhile would go first.) With several processes on one
 *   durable the order is no longer guaranteed; applySubscriberEvents then
 *   refuses an older event OUT_OF_ORDER and the log says so.
 * - Stop (abort or `stop()`): the message in hand is finished, messages
 *   already delivered are nak-ed for the next consumer; takes at most about
 *   `pullExpiresMs` (a pull request cannot be cancelled, and naks sent
 *   while it is open would be delivered to it again).
 *
 * Concurrency: one apply in flight per consumer. Several instances may share
 * the durable; each message goes to one of them.
 */
export async function startNatsSubscriberEventConsumer(
  options: NatsSubscriberEventConsumerOptions,
): Promise<NatsSubscriberEventConsumer> {
  const { config, log } = options;
  const nc = await connectNats(config);
  try {
    await ensureNatsConsumer(await jetstreamManager(nc), config, log);
  } catch (err) {
    await nc.close();
    throw err;
  }
  const js = jetstream(nc);
  const counters = createNatsConsumerStats();
  const handleMessage = createMessageHandler({ ...options, js, counters });
  const stopping = new AbortController();
  const onOuterAbort = () => stopping.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stopping.abort();
  void watchConnection(nc, counters, log);

  async function run(): Promise<void> {
    let consumer: Consumer | null = null;
    let probing = false;
    let errorStreak = 0;
    while (!stopping.signal.aborted) {
      try {
        if (consumer === null) {
          // After an error the consumer may have been deleted: recreate it.
          if (errorStreak > 0) await ensureNatsConsumer(await jetstreamManager(nc), config, log);
          consumer = await js.consumers.get(config.stream, config.durable);
        }
        probing = await pullOnce(consumer, probing ? 1 : config.batchSize);
        errorStreak = 0;
      } catch (err) {
        if (stopping.signal.aborted) break;
        consumer = null;
        errorStreak += 1;
        counters.pullErrors += 1;
        log.warn({ err, stream: config.stream, durable: config.durable }, 'NATS pull failed');
        await sleep(retryDelayMs(config, errorStreak), stopping.signal);
      }
    }
  }

  /** One pull request, read to its end. Answers whether an apply failed. */
  async function pullOnce(consumer: Consumer, max: number): Promise<boolean> {
    const messages = await consumer.fetch({ max_messages: max, expires: config.pullExpiresMs });
    const held: JsMsg[] = [];
    let failedAt: number | null = null;
    let delayMs = 0;
    const keepHeld = setInterval(() => {
      for (const m of held) m.working();
    }, keepAliveIntervalMs(config));
    try {
      for await (const msg of messages) {
        counters.messagesReceived += 1;
        if (held.length > 0 || stopping.signal.aborted) {
          held.push(msg);
          continue;
        }
        const outcome = await handleMessage(msg);
        if (outcome.kind === 'retry') {
          held.push(msg);
          failedAt = Date.now();
          delayMs = outcome.delayMs;
        }
      }
      if (failedAt !== null) {
        await sleep(failedAt + delayMs - Date.now(), stopping.signal);
      }
    } finally {
      clearInterval(keepHeld);
      await returnToServer(nc, held, log);
      counters.messagesDeferred += held.length - (failedAt === null ? 0 : 1);
    }
    return failedAt !== null;
  }

  const done = run()
    .catch((err: unknown) => log.error({ err }, 'NATS subscriber event consumer crashed'))
    .finally(async () => {
      options.signal?.removeEventListener('abort', onOuterAbort);
      await nc.drain().catch(() => nc.close());
      counters.connected = false;
      log.info({ durable: config.durable }, 'NATS subscriber event consumer stopped');
    });

  return {
    stats: () => ({ ...counters }),
    async stop() {
      stopping.abort();
      await done;
    },
    done,
  };
}

/**
 * Naks the messages in stream order, waiting for the server to confirm each
 * one, so they are back in its redelivery queue before our next pull.
 */
async function returnToServer(nc: NatsConnection, held: JsMsg[], log: Logger): Promise<void> {
  for (const msg of held) {
    // The JsMsg interface hides the ack subject; the implementation has it.
    const reply = (msg as unknown as { reply?: string }).reply;
    try {
      if (!reply) throw new Error('no ack subject');
      await nc.request(reply, '-NAK', { timeout: 5_000 });
    } catch (err) {
      log.warn({ err, seq: msg.seq }, 'nak not confirmed; the message comes back after ackWait');
      msg.nak();
    }
  }
}

async function watchConnection(
  nc: NatsConnection,
  counters: NatsConsumerStats,
  log: Logger,
): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') {
      counters.connected = false;
      log.warn({ server: status.server }, 'NATS disconnected; reconnecting');
    } else if (status.type === 'reconnect') {
      counters.connected = true;
      log.info({ server: status.server }, 'NATS reconnected');
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
