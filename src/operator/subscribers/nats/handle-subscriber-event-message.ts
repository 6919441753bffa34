import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Clock } from '../../../core/clock.js';
import type { Logger } from '../../../core/logger.js';
import type { SubscriberEventResult } from '../subscriber-event-result.js';
import type { SubscriberEvent } from '../subscriber-event-schema.js';
import type { NatsConsumerConfig } from './nats-config.js';
import type { NatsConsumerStats } from './nats-consumer-stats.js';
import { parseSubscriberEventMessage } from './parse-subscriber-event-message.js';

/** settled: acked or terminated; retry: not settled, the caller returns it to the server. */
export type MessageOutcome = { kind: 'settled' } | { kind: 'retry'; delayMs: number };

export interface MessageHandlerDeps {
  config: NatsConsumerConfig;
  clock: Clock;
  log: Logger;
  js: JetStreamClient;
  counters: NatsConsumerStats;
  apply: (events: SubscriberEvent[]) => Promise<SubscriberEventResult[]>;
}

/**
 * Handles one delivery: parse, apply, then ack (only once apply resolved,
 * i.e. committed), terminate (invalid, or failed `maxDeliver` times), or
 * answer `retry` and leave the message unsettled for the caller.
 *
 * `term()` is sent without a reason: NATS servers before 2.10 ignore a
 * `+TERM` that carries one, which would leave the message pending for ever.
 * The reason goes to the log instead.
 */
export function createMessageHandler(
  deps: MessageHandlerDeps,
): (msg: JsMsg) => Promise<MessageOutcome> {
  const { config, clock, log, js, counters, apply } = deps;

  return async function handleMessage(msg) {
    const seq = msg.seq;
    const parsed = parseSubscriberEventMessage(msg.data);
    if (!parsed.ok) {
      log.warn({ seq, reason: parsed.reason }, 'invalid subscriber event message terminated');
      msg.term();
      counters.messagesInvalid += 1;
      return { kind: 'settled' };
    }
    const eventIds = parsed.events.map((e) => e.eventId);
    // A long batch must not outlive the ack wait and be redelivered meanwhile.
    const keepAlive = setInterval(() => msg.working(), keepAliveIntervalMs(config));
    let failure: string | null;
    try {
      failure = countResults(await apply(parsed.events), seq);
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
    const delayMs = retryDelayMs(config, delivery);
    log.warn({ seq, eventIds, delivery, delayMs, failure }, 'subscriber events failed; will retry');
    return { kind: 'retry', delayMs };
  };

  /** Counts the results; answers why the message failed, or null. */
  function countResults(results: SubscriberEventResult[], seq: number): string | null {
    const failedCodes: string[] = [];
    for (const r of results) {
      if (r.status === 'failed') failedCodes.push(r.code ?? 'failed');
      else if (r.duplicate) counters.eventsDuplicate += 1;
      else if (r.status === 'applied') counters.eventsApplied += 1;
      else {
        counters.eventsRefused += 1;
        // Final and recorded by apply, so acked; but worth a look.
        log.warn({ seq, eventId: r.eventId, code: r.code }, 'subscriber event refused');
      }
    }
    if (failedCodes.length > 0) return `failed: ${failedCodes.join(', ')}`;
    counters.lastAppliedAt = clock.now();
    return null;
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

  async function giveUp(msg: JsMsg, eventIds: string[], failure: string): Promise<MessageOutcome> {
    const delivery = msg.info.deliveryCount;
    const { deadLetterSubject } = config;
    if (deadLetterSubject !== undefined) {
      const h = headers();
      h.set('Idbridge-Failure', failure.slice(0, 500));
      h.set('Idbridge-Source-Stream', config.stream);
      h.set('Idbridge-Source-Subject', msg.subject);
      h.set('Idbridge-Source-Sequence', String(msg.seq));
      h.set('Idbridge-Deliveries', String(delivery));
      try {
        // msgID: a second attempt after a lost publish ack is de-duplicated.
        await js.publish(deadLetterSubject, msg.data, {
          headers: h,
          msgID: `${config.stream}:${msg.seq}`,
        });
      } catch (err) {
        log.error({ err, seq: msg.seq, eventIds }, 'dead-letter publish failed; will retry');
        return { kind: 'retry', delayMs: retryDelayMs(config, delivery) };
      }
    }
    msg.term();
    counters.messagesGivenUp += 1;
    log.error(
      { seq: msg.seq, eventIds, delivery, failure, deadLetterSubject },
      deadLetterSubject === undefined
        ? 'subscriber events failed maxDeliver times; message terminated'
        : 'subscriber events failed maxDeliver times; message dead-lettered',
    );
    return { kind: 'settled' };
  }
}

/** `retryDelayMs · 2^(attempt−1)`, capped at `maxRetryDelayMs`. */
export function retryDelayMs(config: NatsConsumerConfig, attempt: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(config.retryDelayMs * 2 ** exponent, config.maxRetryDelayMs);
}

export function keepAliveIntervalMs(config: NatsConsumerConfig): number {
  return Math.max(250, Math.floor(config.ackWaitMs / 3));
}
