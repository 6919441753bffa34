import { type Static, Type } from '@sinclair/typebox';

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
  },
  Strict,
);

export const SandboxConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 7800 }),
    dataDir: Type.String({ minLength: 1, default: '.idbridge/sandbox' }),
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

export const ConfigSchema = Type.Object(
  {
    database: DatabaseConfigSchema,
    log: LogConfigSchema,
    sandbox: SandboxConfigSchema,
    routing: RoutingConfigSchema,
  },
  Strict,
);

export type Config = Static<typeof ConfigSchema>;
