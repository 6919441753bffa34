import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { IdbridgeError } from '../../../core/errors.js';
import type { NatsConsumerConfig } from './nats-config.js';

/**
 * Opens a NATS connection for the subscriber-event consumer. The client
 * reconnects by itself for ever after the first connection (the consumer
 * loop retries pulls meanwhile); the first connection must succeed, so a
 * wrong address or credential stops the node at start-up with a clear error.
 */
export async function connectNats(config: NatsConsumerConfig): Promise<NatsConnection> {
  const servers = typeof config.servers === 'string' ? [config.servers] : [...config.servers];
  const authenticator = buildAuthenticator(config);
  try {
    return await connect({
      servers,
      name: `idbridge:${config.durable}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      ...(authenticator ? { authenticator } : {}),
    });
  } catch (err) {
    throw new IdbridgeError(
      'UNAVAILABLE',
      `cannot connect to NATS at ${servers.join(', ')}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function buildAuthenticator(config: NatsConsumerConfig): Authenticator | undefined {
  if (config.credsFile !== undefined) {
    return credsAuthenticator(readSecretFile(config.credsFile, 'credsFile'));
  }
  const token = config.token ?? fileText(config.tokenFile, 'tokenFile');
  if (token !== undefined) return tokenAuthenticator(token);
  if (config.user !== undefined) {
    const pass = config.pass ?? fileText(config.passFile, 'passFile');
    return usernamePasswordAuthenticator(config.user, pass);
  }
  return undefined;
}

function fileText(path: string | undefined, key: string): string | undefined {
  return path === undefined
    ? undefined
    : new TextDecoder().decode(readSecretFile(path, key)).trim();
}

function readSecretFile(path: string, key: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `operator.nats.${key}: cannot read ${path}: ${(err as Error).message}`,
    );
  }
}
