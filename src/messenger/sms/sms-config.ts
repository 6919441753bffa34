import { type Static, Type } from '@sinclair/typebox';

/**
 * The `sms` section of the messenger's configuration (R2). Every limit has a
 * default; the only values without one are the SMSC / provider addresses and
 * secrets, which the deployer sets (secrets through the environment, e.g.
 * `IDBRIDGE_SMS__HTTP__TOKEN`, `IDBRIDGE_SMS__SMPP__PASSWORD`).
 */
const Strict = { additionalProperties: false, default: {} } as const;

const WindowLimitSchema = (max: number, windowSeconds: number, description: string) =>
  Type.Object(
    {
      max: Type.Integer({ minimum: 1, default: max }),
      windowSeconds: Type.Integer({ minimum: 1, default: windowSeconds }),
    },
    { ...Strict, description },
  );

export const SmppSenderConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 2775 }),
    tls: Type.Boolean({ default: false }),
    systemId: Type.String({ maxLength: 15, default: '' }),
    password: Type.String({ maxLength: 8, default: '', description: 'secret: set from env' }),
    systemType: Type.String({ maxLength: 12, default: '' }),
    sourceAddr: Type.String({
      maxLength: 20,
      default: '',
      description: 'sender id shown to users',
    }),
    sourceAddrTon: Type.Integer({
      minimum: 0,
      maximum: 6,
      default: 5,
      description: '5: alphanumeric',
    }),
    sourceAddrNpi: Type.Integer({ minimum: 0, maximum: 18, default: 0 }),
    enquireLinkIntervalSeconds: Type.Integer({ minimum: 1, default: 30 }),
    responseTimeoutSeconds: Type.Integer({ minimum: 1, default: 10 }),
    reconnectInitialDelayMs: Type.Integer({ minimum: 1, default: 1000 }),
    reconnectMaxDelayMs: Type.Integer({ minimum: 1, default: 60_000 }),
  },
  Strict,
);

export const HttpSenderConfigSchema = Type.Object(
  {
    url: Type.String({ default: '', description: 'provider endpoint; POST {to, text, reference}' }),
    token: Type.String({ default: '', description: 'bearer token; secret: set from env' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 10_000 }),
  },
  Strict,
);

export const SmsConfigSchema = Type.Object(
  {
    sender: Type.Union([Type.Literal('dev'), Type.Literal('smpp'), Type.Literal('http')], {
      default: 'dev',
    }),
    messageTemplate: Type.String({
      pattern: '\\{code\\}',
      maxLength: 300,
      default: 'Your code: {code}',
      description: 'SMS text; {code} is replaced by the code',
    }),
    codeLength: Type.Integer({ minimum: 4, maximum: 10, default: 6 }),
    codeTtlSeconds: Type.Integer({ minimum: 10, default: 300 }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
    resendIntervalSeconds: Type.Integer({ minimum: 0, default: 60 }),
    sendsPerNumber: WindowLimitSchema(5, 3600, 'codes sent to one number per window'),
    registrationsPerNumber: WindowLimitSchema(
      10,
      86_400,
      'new challenges (not resends) for one number per window',
    ),
    sendsPerCaller: WindowLimitSchema(1000, 3600, 'codes sent for one API client per window'),
    smpp: SmppSenderConfigSchema,
    http: HttpSenderConfigSchema,
  },
  Strict,
);

export type SmsConfig = Static<typeof SmsConfigSchema>;
export type SmppSenderConfig = Static<typeof SmppSenderConfigSchema>;
export type HttpSenderConfig = Static<typeof HttpSenderConfigSchema>;
