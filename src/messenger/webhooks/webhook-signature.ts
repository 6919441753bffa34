import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (standardwebhooks.com, symmetric scheme):
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`
 * under a shared secret serialized as `whsec_` + base64 of 24–64 random bytes.
 *
 * Written on node:crypto rather than the `standardwebhooks` package: that
 * package reads the wall clock inside `verify` (our tests and the backend's
 * need an injected one) and brings a pure-JS SHA-256; the scheme itself is a
 * few lines. The tests check it against the reference library's published
 * vector.
 */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The spec's bounds for an HMAC secret: 24 bytes (192 bits) to 64 bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** The spec's recommended replay window. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Decodes a `whsec_…` secret (the prefix is optional, as in the reference libraries). */
export function parseWebhookSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw new Error('a webhook secret must be "whsec_" followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
    throw new Error(
      `a webhook secret must hold ${MIN_SECRET_BYTES}–${MAX_SECRET_BYTES} bytes (got ${key.length})`,
    );
  }
  return key;
}

/** A fresh secret for a deployment (32 random bytes). */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

// A type alias, not an interface, so it passes where a header map is expected.
export type SignedWebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * The three Standard Webhooks headers for one attempt. `id` stays the same
 * on every retry of an event; `timestamp` is the attempt's time (it is what
 * the receiver checks against replays). `body` must be sent byte for byte.
 */
export function signWebhook(args: {
  secret: string;
  id: string;
  timestamp: Date;
  body: string;
}): SignedWebhookHeaders {
  // A "." in the id would let one (id, timestamp) pair pass for another.
  if (args.id.length === 0 || args.id.includes('.')) {
    throw new Error('a webhook id must be non-empty and contain no "."');
  }
  const seconds = Math.floor(args.timestamp.getTime() / 1000);
  return {
    'webhook-id': args.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': `v1,${hmac(parseWebhookSecret(args.secret), args.id, seconds, args.body)}`,
  };
}

function hmac(key: Buffer, id: string, seconds: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${seconds}.${body}`, 'utf8').digest('base64');
}

/** Node's `req.headers`, a fetch `Headers`, or a plain map. */
export type WebhookHeaderSource = Headers | Record<string, string | readonly string[] | undefined>;

export type WebhookVerification =
  | { ok: true; id: string; timestamp: Date; payload: unknown }
  | {
      ok: false;
      reason:
        | 'missing_headers'
        | 'bad_timestamp'
        | 'timestamp_too_old'
        | 'timestamp_too_new'
        | 'bad_signature'
        | 'bad_json';
    };

/**
 * What a receiver (the messenger's backend) does with a webhook: checks the
 * timestamp is within `toleranceSeconds` of `now` (replays), then that one
 * of the space-separated `v1` signatures matches the raw body, compared in
 * constant time, and parses the body. Pass the raw body as received, before
 * any JSON parsing. Then deduplicate by `id`: retries carry the same id.
 * Returns the reason on failure; throws only for an unusable secret.
 */
export function verifyWebhook(args: {
  secret: string;
  headers: WebhookHeaderSource;
  body: string;
  now: Date;
  toleranceSeconds?: number;
}): WebhookVerification {
  const id = header(args.headers, WEBHOOK_HEADERS.id);
  const timestampText = header(args.headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(args.headers, WEBHOOK_HEADERS.signature);
  if (!id || !timestampText || !signatures) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestampText)) return { ok: false, reason: 'bad_timestamp' };
  const seconds = Number(timestampText);
  const nowSeconds = Math.floor(args.now.getTime() / 1000);
  const tolerance = args.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (seconds < nowSeconds - tolerance) return { ok: false, reason: 'timestamp_too_old' };
  if (seconds > nowSeconds + tolerance) return { ok: false, reason: 'timestamp_too_new' };

  const expected = Buffer.from(
    hmac(parseWebhookSecret(args.secret), id, seconds, args.body),
    'base64',
  );
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'bad_signature' };
  try {
    return { ok: true, id, timestamp: new Date(seconds * 1000), payload: JSON.parse(args.body) };
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
}

function header(source: WebhookHeaderSource, name: string): string | undefined {
  if (source instanceof Headers) return source.get(name) ?? undefined;
  const value =
    source[name] ??
    Object.entries(source).find(([key]) => key.toLowerCase() === name)?.[1] ??
    undefined;
  return typeof value === 'string' ? value : value?.[0];
}
