import { type Static, Type } from '@sinclair/typebox';

/**
 * The configuration sections every node reads: its database, its logging,
 * its routing files and its own identity and listeners. Each node kind adds
 * its own section (operator-config.ts, messenger-config.ts); the CLI's
 * src/config/config-schema.ts is their union, the whole file.
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

export type DatabaseConfig = Static<typeof DatabaseConfigSchema>;
export type LogConfig = Static<typeof LogConfigSchema>;
export type RoutingConfig = Static<typeof RoutingConfigSchema>;
export type NodeConfig = Static<typeof NodeConfigSchema>;

/** The sections shared by both node kinds, as a node factory receives them. */
export interface SharedNodeConfig {
  database: DatabaseConfig;
  log: LogConfig;
  routing: RoutingConfig;
  node: NodeConfig;
}
