import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { IdbridgeError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { NatsConsumerConfig } from './nats-config.js';

/**
 * Makes sure the stream exists (created only with `createStream`) and that
 * the durable pull consumer exists with explicit acks on `subject`,
 * updating the settings we own (ack wait, pending limit) when they differ.
 *
 * Concurrency: safe to run from several instances at once; JetStream answers
 * an identical create with the existing consumer.
 */
export async function ensureNatsConsumer(
  jsm: JetStreamManager,
  config: NatsConsumerConfig,
  log: Logger,
): Promise<void> {
  await ensureStream(jsm, config, log);
  const wanted: Partial<ConsumerConfig> = {
    durable_name: config.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: config.subject,
    ack_wait: nanos(config.ackWaitMs),
    // Dead-lettering is decided here, per failed apply (see nats-config.ts);
    // the server must keep redelivering messages that were only deferred.
    max_deliver: -1,
    // Bounds what one pull can hand out, so buffered messages are not
    // redelivered behind our back while earlier ones are being applied.
    max_ack_pending: Math.max(config.batchSize * 2, 10),
  };
  const existing = await jsm.consumers.info(config.stream, config.durable).catch(notFoundAsNull);
  if (existing === null) {
    await jsm.consumers.add(config.stream, wanted);
    log.info({ stream: config.stream, durable: config.durable }, 'created NATS durable consumer');
    return;
  }
  const current = existing.config;
  if (current.deliver_subject || current.ack_policy !== AckPolicy.Explicit) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `NATS consumer ${config.stream}/${config.durable} exists but is not a pull consumer with explicit acks`,
    );
  }
  if (
    current.ack_wait !== wanted.ack_wait ||
    current.max_ack_pending !== wanted.max_ack_pending ||
    current.max_deliver !== wanted.max_deliver ||
    current.filter_subject !== wanted.filter_subject
  ) {
    const { durable_name: _name, ack_policy: _ack, deliver_policy: _deliver, ...update } = wanted;
    await jsm.consumers.update(config.stream, config.durable, update);
    log.info({ stream: config.stream, durable: config.durable }, 'updated NATS durable consumer');
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  config: NatsConsumerConfig,
  log: Logger,
): Promise<void> {
  const info = await jsm.streams.info(config.stream).catch(notFoundAsNull);
  if (info !== null) return;
  if (!config.createStream) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `NATS stream ${config.stream} does not exist; create it on subject ${config.subject} or set operator.nats.createStream`,
    );
  }
  const subjects = [config.subject];
  if (config.deadLetterSubject !== undefined) subjects.push(config.deadLetterSubject);
  await jsm.streams.add({
    name: config.stream,
    subjects,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  });
  log.info({ stream: config.stream, subjects }, 'created NATS stream');
}

function notFoundAsNull(err: unknown): null {
  if (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamNotFound ||
      err.code === JetStreamApiCodes.ConsumerNotFound)
  ) {
    return null;
  }
  throw err;
}
