import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { IdbridgeError } from '../../core/errors.js';
import { parseWebhookSecret } from './webhook-signature.js';

/**
 * The `messenger.webhooks` config section (wired by config-schema.ts).
 * Without `url` the node sends no webhooks and enqueues none. The secret
 * comes from the environment (`IDBRIDGE_MESSENGER__WEBHOOKS__SECRET`) or a
 * file, never from the repository.
 */
export const WebhookConfigSchema = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'the backend endpoint events are POSTed to; webhooks are off without it',
      }),
    ),
    secret: Type.Optional(
      Type.String({
        pattern: '^(whsec_)?[A-Za-z0-9+/]+={0,2}$',
        description: 'Standard Webhooks signing secret, whsec_ + base64 of 24–64 bytes',
      }),
    ),
    secretFile: Type.Optional(
      Type.String({ minLength: 1, description: 'file holding the secret instead' }),
    ),
    timeoutMs: Type.Integer({
      minimum: 1_000,
      maximum: 60_000,
      default: 15_000,
      description: 'per request; a timeout is a failed attempt, retried with the outbox backoff',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type WebhookConfig = Static<typeof WebhookConfigSchema>;

export interface WebhookSettings {
  url: string;
  secret: string;
  timeoutMs: number;
}

/**
 * The settings the node runs with, or null when webhooks are off (no `url`).
 * Reads `secretFile` when `secret` is not given. Throws CONFIG_INVALID when
 * a url has no usable secret.
 */
export function resolveWebhookSettings(
  config: Readonly<WebhookConfig>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): WebhookSettings | null {
  if (!config.url) return null;
  let secret = config.secret;
  if (!secret && config.secretFile) {
    try {
      secret = readFile(config.secretFile).trim();
    } catch (err) {
      throw new IdbridgeError(
        'CONFIG_INVALID',
        `cannot read messenger.webhooks.secretFile ${config.secretFile}: ${(err as Error).message}`,
      );
    }
  }
  if (!secret) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      'messenger.webhooks.secret (or secretFile) is required when messenger.webhooks.url is set',
    );
  }
  try {
    parseWebhookSecret(secret);
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `messenger.webhooks secret: ${(err as Error).message}`,
    );
  }
  return { url: config.url, secret, timeoutMs: config.timeoutMs };
}
