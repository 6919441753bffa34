import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../core/validate-config.js';
import { NatsConsumerConfigSchema } from './nats-config.js';

describe('NatsConsumerConfigSchema', () => {
  it('is disabled by default and fills every other default', () => {
    expect(validateConfig({}, NatsConsumerConfigSchema)).toEqual({
      enabled: false,
      servers: 'nats://127.0.0.1:4222',
      stream: 'BSS_EVENTS',
      subject: 'bss.subscriber-events',
      durable: 'idbridge-operator',
      createStream: false,
      batchSize: 100,
      pullExpiresMs: 5_000,
      ackWaitMs: 30_000,
      maxDeliver: 50,
      retryDelayMs: 1_000,
      maxRetryDelayMs: 60_000,
    });
  });

  it('takes one server or a list, and numbers written as strings (environment)', () => {
    const config = validateConfig(
      { servers: ['nats://a:4222', 'nats://b:4222'], batchSize: '20', enabled: 'true' },
      NatsConsumerConfigSchema,
    );
    expect(config).toMatchObject({ servers: ['nats://a:4222', 'nats://b:4222'], batchSize: 20 });
    expect(config.enabled).toBe(true);
  });

  it('names the bad key when a subject has a wildcard', () => {
    expect(() => validateConfig({ subject: 'bss.>' }, NatsConsumerConfigSchema)).toThrow(/subject/);
  });
});
