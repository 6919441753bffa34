import { type Static, Type } from '@sinclair/typebox';
import { LegacyConfigSchema } from '../messenger/legacy/legacy-config.js';
import { SmsConfigSchema } from '../messenger/sms/sms-config.js';
import { WebhookConfigSchema } from '../messenger/webhooks/webhook-config.js';
import { NatsConsumerConfigSchema } from '../operator/subscribers/nats/nats-config.js';
import { OutboxConfigSchema } from '../outbox/outbox-config.js';

/**
 * The whole configuration of the program. Every key has a default except
 * secrets and paths that only the deployer can know. Later sections (operator,
 * messenger, sandbox details) join this schema as the nodes grow.
 */
const Strict = { additionalProperties: false, default: {} } as const;

export const DatabaseConfigSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^postgres(ql)?://',
        description: 'PostgreSQL URL; when absent the embedded PGlite database is used',
      }),
    ),
    dataDir: Type.String({
      minLength: 1,
      default: '.idbridge/data',
      description: 'PGlite data directory',
    }),
    schema: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'public' }),
    poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  },
  Strict,
);

export const LogConfigSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    access: Type.Boolean({
      default: true,
      description:
        'one JSON line per HTTP request at info level (method, route, status, ms, partner, x-correlator)',
    }),
  },
  Strict,
);

export const SandboxConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 7800 }),
    dataDir: Type.String({ minLength: 1, default: '.idbridge/sandbox' }),
    subscribersPerOperator: Type.Integer({ minimum: 100, maximum: 5_000_000, default: 10_000 }),
  },
  Strict,
);

export const RoutingConfigSchema = Type.Object(
  {
    planFiles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'numbering-plan register files (DEF-9xx CSV)',
    }),
    portedFile: Type.Optional(Type.String({ minLength: 1, description: 'Port_All snapshot' })),
  },
  Strict,
);

const Listener = (port: number) =>
  Type.Object(
    {
      host: Type.String({ minLength: 1, default: '127.0.0.1' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: port }),
    },
    Strict,
  );

/**
 * Who this node is and how it talks to partners. Secrets (the private key,
 * the internal token, the number-hash key) come from files or the
 * environment, never from the repository.
 */
export const NodeConfigSchema = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
        description: 'this participant in the directory',
      }),
    ),
    signingKeyFile: Type.Optional(
      Type.String({ minLength: 1, description: 'private JWK (idbridge keys generate)' }),
    ),
    directoryFile: Type.Optional(
      Type.String({ minLength: 1, description: 'participants, YAML or JSON' }),
    ),
    numberHashKey: Type.Optional(
      Type.String({
        minLength: 16,
        description: 'HMAC key for numbers kept outside the subscriber tables',
      }),
    ),
    numberHashKeyFile: Type.Optional(Type.String({ minLength: 1 })),
    internalToken: Type.Optional(
      Type.String({ minLength: 16, description: 'bearer credential of the internal/app listener' }),
    ),
    internalTokenFile: Type.Optional(Type.String({ minLength: 1 })),
    adminToken: Type.Optional(
      Type.String({
        minLength: 16,
        description:
          'bearer credential of the console on the internal/app listener; without it the console is off',
      }),
    ),
    adminTokenFile: Type.Optional(Type.String({ minLength: 1 })),
    partnerListener: Listener(8443),
    internalListener: Listener(8444),
    publicBaseUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'URL partners call the partner listener at',
      }),
    ),
    maxClockSkewSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 300 }),
    requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  },
  Strict,
);

export const OperatorConfigSchema = Type.Object(
  {
    slowPath: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'contracts flagged needs_bss_check answer 202 and are decided later',
        }),
        checkerUrl: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description: 'BSS check endpoint; without it the sweeper answers at the deadline',
          }),
        ),
        pollIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
        decideWithinMs: Type.Integer({
          minimum: 1000,
          maximum: 1_200_000,
          default: 1_140_000,
          description: 'undecided requests are answered not_confirmed after this (R10: < 20 min)',
        }),
      },
      Strict,
    ),
    identificationGroups: Type.Object(
      {
        maxSize: Type.Integer({
          minimum: 1,
          maximum: 1000,
          default: 64,
          description:
            'single identifications decided together in one transaction when they queue up; 1: each alone',
        }),
        inFlight: Type.Integer({
          minimum: 1,
          maximum: 200,
          default: 2,
          description:
            'transactions deciding single identifications at once (keep below database.poolSize)',
        }),
      },
      Strict,
    ),
    nats: NatsConsumerConfigSchema,
  },
  Strict,
);

export const MessengerConfigSchema = Type.Object(
  {
    smsSecret: Type.Optional(
      Type.String({
        minLength: 32,
        description: 'HMAC key for SMS codes and numbers in the SMS tables',
      }),
    ),
    smsSecretFile: Type.Optional(Type.String({ minLength: 1 })),
    graceSeconds: Type.Integer({
      minimum: 0,
      default: 7 * 24 * 3600,
      description: 'suspended users are deauthorized after this unless re-identified (R8)',
    }),
    permissionCacheMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 1000,
      description: 'longest time any instance may still say "yes" for a user suspended elsewhere',
    }),
    devOutboxReadable: Type.Boolean({
      default: false,
      description: 'serve the development SMS outbox on the app API (sandbox only)',
    }),
    pollIntervalMs: Type.Integer({ minimum: 10, default: 1000 }),
    webhooks: WebhookConfigSchema,
    legacy: LegacyConfigSchema,
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
