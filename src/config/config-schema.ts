import { type Static, Type } from '@sinclair/typebox';
import { MessengerConfigSchema } from '../messenger/messenger-config.js';
import { SmsConfigSchema } from '../messenger/sms/sms-config.js';
import {
  DatabaseConfigSchema,
  LogConfigSchema,
  NodeConfigSchema,
  RoutingConfigSchema,
} from '../node/node-config.js';
import { OperatorConfigSchema } from '../operator/operator-config.js';
import { OutboxConfigSchema } from '../outbox/outbox-config.js';

/**
 * The whole configuration file: the sections both nodes share
 * (node/node-config.ts), each node kind's own section, and the sandbox's.
 * Every key has a default except secrets and paths that only the deployer
 * can know. The CLI and the sandbox load it; each node takes its part.
 */
const Strict = { additionalProperties: false, default: {} } as const;

export const SandboxConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 7800 }),
    dataDir: Type.String({ minLength: 1, default: '.idbridge/sandbox' }),
    subscribersPerOperator: Type.Integer({ minimum: 100, maximum: 5_000_000, default: 10_000 }),
  },
  Strict,
);

export const ConfigSchema = Type.Object(
  {
    database: DatabaseConfigSchema,
    log: LogConfigSchema,
    sandbox: SandboxConfigSchema,
    routing: RoutingConfigSchema,
    node: NodeConfigSchema,
    operator: OperatorConfigSchema,
    messenger: MessengerConfigSchema,
    sms: SmsConfigSchema,
    outbox: OutboxConfigSchema,
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;
