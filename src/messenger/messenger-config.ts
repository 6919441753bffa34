import { type Static, Type } from '@sinclair/typebox';
import type { SharedNodeConfig } from '../node/node-config.js';
import type { OutboxConfig } from '../outbox/outbox-config.js';
import { LegacyConfigSchema } from './legacy/legacy-config.js';
import type { SmsConfig } from './sms/sms-config.js';
import { WebhookConfigSchema } from './webhooks/webhook-config.js';

const Strict = { additionalProperties: false, default: {} } as const;

/** The `messenger` section: what only a messenger node reads (the `sms` section is its too). */
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

/** What a messenger node is configured by: the shared sections, the outbox, SMS, its own section. */
export type MessengerNodeConfig = Readonly<
  SharedNodeConfig & {
    outbox: OutboxConfig;
    sms: SmsConfig;
    messenger: Static<typeof MessengerConfigSchema>;
  }
>;
