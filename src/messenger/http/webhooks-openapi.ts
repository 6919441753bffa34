import {
  STATE_OF_EVENT,
  WEBHOOK_EVENT_TYPES,
  WebhookEventSchema,
} from '../webhooks/webhook-event.js';

/** The Standard Webhooks headers every event carries (webhooks/README.md). */
const HEADERS = [
  {
    name: 'webhook-id',
    description: 'The event; the same on every retry: process each id once.',
    schema: { type: 'string', examples: ['msg_0193a5c2-8a11-7b52-a6c0-4d1e2f3a4b5c'] },
  },
  {
    name: 'webhook-timestamp',
    description: 'This attempt, in Unix seconds.',
    schema: { type: 'string', pattern: '^[0-9]{1,12}$', examples: ['1795856400'] },
  },
  {
    name: 'webhook-signature',
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the decoded `messenger.webhooks.secret`.',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
].map((h) => ({ ...h, in: 'header', required: true }));

/**
 * OpenAPI 3.1 `webhooks` of the messenger app listener: the events the node
 * sends to the messenger's own backend when a user's right to send changes
 * (R6, R7, R8), signed by Standard Webhooks headers.
 */
export function messengerWebhooksDocument(): {
  webhooks: Record<string, unknown>;
  securitySchemes: Record<string, unknown>;
} {
  // The TypeBox schema as plain JSON Schema (its symbol keys dropped).
  const event = JSON.parse(JSON.stringify(WebhookEventSchema)) as {
    properties: Record<string, unknown>;
  };
  const webhooks = Object.fromEntries(
    WEBHOOK_EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          operationId: `webhook${type
            .split(/[._]/)
            .map((w) => w[0]?.toUpperCase() + w.slice(1))
            .join('')}`,
          summary: `The user became ${STATE_OF_EVENT[type]}`,
          description:
            'Sent to `messenger.webhooks.url` after the change committed, at least once, oldest first.',
          security: [{ standardWebhooks: [] }],
          parameters: HEADERS,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  ...event,
                  properties: { ...event.properties, type: { type: 'string', const: type } },
                },
              },
            },
          },
          responses: {
            '204': { description: 'Delivered (any 2xx).' },
            '400': {
              description: 'Rejected for good (any 4xx but 408 and 429): not sent again.',
            },
            '503': { description: 'Failed (408, 429, 3xx, 5xx, timeout): retried with backoff.' },
          },
        },
      },
    ]),
  );
  return {
    webhooks,
    securitySchemes: {
      standardWebhooks: {
        type: 'apiKey',
        in: 'header',
        name: 'webhook-signature',
        description:
          'Standard Webhooks: HMAC-SHA256 with the shared `whsec_` secret over webhook-id, webhook-timestamp and the body.',
      },
    },
  };
}
