import {
  type Consumer,
  type JetStreamClient,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { SubscriberEventResult } from '../subscriber-event-result.js';
import type { SubscriberEvent } from '../subscriber-event-schema.js';
import { connectNats } from './connect-nats.js';
import { ensureNatsConsumer } from './ensure-nats-consumer.js';
import type { NatsConsumerConfig } from './nats-config.js';
import { createNatsConsumerStats, type NatsConsumerStats } from './nats-consumer-stats.js';
import { parseSubscriberEventMessage } from './parse-subscriber-event-message.js';

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

type Outcome = { kind: 'settled' } | { kind: 'retry'; delayMs: number };

/**
 * Consumes BSS subscriber events from a JetStream durable pull consumer.
 *
 * - At least once, made exactly-once in effect by `apply`'s idempotency on
 *   eventId: a message is acked only after `apply` resolved (committed); a
 *   crash before the ack means a redelivery that `apply` answers as a
 *   duplicate.
 * - Invalid messages (not JSON, not a SubscriberEvent or batch) are
 *   terminated with the reason logged: no retry, and they block nothing.
 * - Results `applied` and `refused` (out of order, impossible — final and
 *   recorded) are acked; a `failed` result or a throw naks the message with
 *   a growing delay, up to `maxDeliver` (then dead-letter or terminate).
 * - Order: messages of one pull are applied one after another in stream
 *   order. After a failure the rest of that pull is returned unapplied
 *   (nak with the same delay), the consumer waits that delay and then pulls
 *   one message at a time until an apply succeeds; JetStream hands out
 *   redeliveries before new messages, so a number's later event does not
 *   overtake the failed one. Should it happen anyway (several processes on
 *   one durable), applySubscriberEvents refuses the older event OUT_OF_ORDER
 *   and the log says so. Strict per-number order across instances needs one
 *   active consumer per durable.
 *
 * Concurrency: one in-flight apply per consumer. Several instances may share
 * the durable (each message goes to one of them).
 */
export async function startNatsSubscriberEventConsumer(
  options: NatsSubscriberEventConsumerOptions,
): Promise<NatsSubscriberEventConsumer> {
  const { config, clock, log, apply } = options;
  const nc = await connectNats(config);
  try {
    await ensureNatsConsumer(await jetstreamManager(nc), config, log);
  } catch (err) {
    await nc.close();
    throw err;
  }
  const js = jetstream(nc);
  const counters = createNatsConsumerStats();
  const stopping = new AbortController();
  const onOuterAbort = () => stopping.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) stopping.abort();
  void watchConnection();

  async function watchConnection(): Promise<void> {
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

  async function run(): Promise<void> {
    let consumer: Consumer | null = null;
    let probing = false;
    let errorStreak = 0;
    while (!stopping.signal.aborted) {
      try {
        if (consumer === null) {
          if (errorStreak > 0) await ensureNatsConsumer(await jetstreamManager(nc), config, log);
          consumer = await js.consumers.get(config.stream, config.durable);
        }
        const retryAfterMs = await pullOnce(consumer, probing ? 1 : config.batchSize);
        errorStreak = 0;
        if (retryAfterMs === null) {
          probing = false;
        } else {
          probing = true;
          // A little longer than the nak delay, so the server has put the
          // deferred messages back in its redelivery queue before we pull.
          await sleep(retryAfterMs + Math.min(500, 50 + retryAfterMs / 10), stopping.signal);
        }
      } catch (err) {
        if (stopping.signal.aborted) break;
        consumer = null;
        errorStreak += 1;
        counters.pullErrors += 1;
        log.warn({ err, stream: config.stream, durable: config.durable }, 'NATS pull failed');
        await sleep(retryDelay(errorStreak), stopping.signal);
      }
    }
  }

  /** Returns the delay to wait when a message failed, else null. */
  async function pullOnce(consumer: Consumer, max: number): Promise<number | null> {
    const messages = await consumer.fetch({ max_messages: max, expires: config.pullExpiresMs });
    const stopPull = () => messages.stop();
    stopping.signal.addEventListener('abort', stopPull, { once: true });
    let deferMs: number | null = null;
    try {
      for await (const msg of messages) {
        counters.messagesReceived += 1;
        if (stopping.signal.aborted || deferMs !== null) {
          // Not applied: back to the server (at once when stopping, so
          // another instance or our restart takes it without waiting).
          msg.nak(deferMs ?? undefined);
          counters.messagesDeferred += 1;
          continue;
        }
        const outcome = await handleMessage(msg);
        if (outcome.kind === 'retry') {
          deferMs = outcome.delayMs;
          messages.stop();
        }
      }
    } finally {
      stopping.signal.removeEventListener('abort', stopPull);
    }
    return deferMs;
  }

  async function handleMessage(msg: JsMsg): Promise<Outcome> {
    const seq = msg.seq;
    const parsed = parseSubscriberEventMessage(msg.data);
    if (!parsed.ok) {
      log.warn({ seq, reason: parsed.reason }, 'invalid subscriber event message terminated');
      msg.term(parsed.reason);
      counters.messagesInvalid += 1;
      return { kind: 'settled' };
    }
    const eventIds = parsed.events.map((e) => e.eventId);
    // A long batch must not outlive the ack wait and be redelivered meanwhile.
    const keepAlive = setInterval(() => msg.working(), Math.max(250, config.ackWaitMs / 2));
    let failure: string | null = null;
    try {
      const results = await apply(parsed.events);
      failure = countResults(results, seq);
    } catch (err) {
      log.error({ err, seq, eventIds }, 'applying subscriber events threw');
      failure = `apply threw: ${(err as Error).message}`;
    } finally {
      clearInterval(keepAlive);
    }
    if (failure === null) {
      await acknowledge(msg);
      return { kind: 'settled' };
    }
    counters.applyFailures += 1;
    const delivery = msg.info.deliveryCount;
    if (delivery >= config.maxDeliver) return giveUp(msg, eventIds, failure);
    const delayMs = retryDelay(delivery);
    log.warn({ seq, eventIds, delivery, delayMs, failure }, 'subscriber events failed; redelivery');
    msg.nak(delayMs);
    return { kind: 'retry', delayMs };
  }

  /** Counts the results; answers why the message failed, or null. */
  function countResults(results: SubscriberEventResult[], seq: number): string | null {
    const failedCodes: string[] = [];
    for (const r of results) {
      if (r.status === 'failed') {
        failedCodes.push(r.code ?? 'failed');
        continue;
      }
      if (r.duplicate) counters.eventsDuplicate += 1;
      else if (r.status === 'applied') counters.eventsApplied += 1;
      else {
        counters.eventsRefused += 1;
        // Final and recorded by apply: acked, but worth a look.
        log.warn({ seq, eventId: r.eventId, code: r.code }, 'subscriber event refused');
      }
    }
    if (failedCodes.length === 0) counters.lastAppliedAt = clock.now();
    return failedCodes.length === 0 ? null : `failed: ${failedCodes.join(', ')}`;
  }

  async function acknowledge(msg: JsMsg): Promise<void> {
    try {
      // Wait for the server's confirmation, so a stop right after does not
      // lose the ack (a lost ack only means a harmless duplicate delivery).
      await msg.ackAck();
      counters.messagesAcked += 1;
      counters.lastAckedStreamSequence = msg.seq;
    } catch (err) {
      log.warn({ err, seq: msg.seq }, 'ack not confirmed; the message may come again');
    }
  }

  async function giveUp(msg: JsMsg, eventIds: string[], failure: string): Promise<Outcome> {
    const delivery = msg.info.deliveryCount;
    if (config.deadLetterSubject !== undefined) {
      const h = headers();
      h.set('Idbridge-Failure', failure.slice(0, 500));
      h.set('Idbridge-Source-Stream', config.stream);
      h.set('Idbridge-Source-Subject', msg.subject);
      h.set('Idbridge-Source-Sequence', String(msg.seq));
      h.set('Idbridge-Deliveries', String(delivery));
      try {
        // msgID: a second attempt after a lost publish ack is de-duplicated.
        await js.publish(config.deadLetterSubject, msg.data, {
          headers: h,
          msgID: `${config.stream}:${msg.seq}`,
        });
      } catch (err) {
        const delayMs = retryDelay(delivery);
        log.error({ err, seq: msg.seq, eventIds }, 'dead-letter publish failed; redelivery');
        msg.nak(delayMs);
        return { kind: 'retry', delayMs };
      }
    }
    msg.term(`failed ${delivery} times: ${failure}`.slice(0, 500));
    counters.messagesGivenUp += 1;
    log.error(
      { seq: msg.seq, eventIds, delivery, failure, deadLetterSubject: config.deadLetterSubject },
      config.deadLetterSubject === undefined
        ? 'subscriber events failed maxDeliver times; message terminated'
        : 'subscriber events failed maxDeliver times; message dead-lettered',
    );
    return { kind: 'settled' };
  }

  function retryDelay(attempt: number): number {
    const exponent = Math.min(Math.max(attempt - 1, 0), 30);
    return Math.min(config.retryDelayMs * 2 ** exponent, config.maxRetryDelayMs);
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
