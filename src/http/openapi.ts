import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/** How callers of a listener authenticate (protocol.md §1; nodes.md). */
export type ListenerSecurity = 'bearer' | 'signature';

const SECURITY_SCHEMES = {
  bearer: {
    internalBearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'The node credential (`node.internalToken`): `Authorization: Bearer …`.',
    },
  },
  // RFC 9421 has no OpenAPI scheme type: each signature header is an apiKey-style
  // header scheme, and a request needs both (one security requirement).
  signature: {
    httpSignature: {
      type: 'apiKey',
      in: 'header',
      name: 'Signature',
      description:
        'RFC 9421 signature (ed25519) over "@method" "@target-uri" and, with a body, "content-digest" "content-type"; keyid from the directory (protocol.md §1). Responses are signed the same way.',
    },
    httpSignatureInput: {
      type: 'apiKey',
      in: 'header',
      name: 'Signature-Input',
      description:
        'The covered components and the created, keyid, nonce and tag="idbridge-v1" parameters of the Signature header; a body also carries Content-Digest (RFC 9530, sha-256).',
    },
  },
} as const;

const SECURITY_REQUIREMENT: Record<ListenerSecurity, Array<Record<string, string[]>>> = {
  bearer: [{ internalBearer: [] }],
  signature: [{ httpSignature: [], httpSignatureInput: [] }],
};

/** Routes that answer without credentials (health-routes.ts), with what they tell. */
const PUBLIC_ROUTES: Record<string, string> = {
  '/health': 'Liveness: the process is up',
  '/ready': 'Readiness: the node can do its work now (its database answers)',
};

/**
 * Serves the OpenAPI document of this listener's routes at `/docs` (JSON),
 * generated from the same TypeBox schemas that validate requests, so the
 * document cannot drift from the code. Register before the routes.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  info: {
    title: string;
    description: string;
    version?: string;
    security: ListenerSecurity;
    /** OpenAPI 3.1 `webhooks`: requests this node sends to its own backend, and how they are signed. */
    webhooks?: { webhooks: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  },
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: info.title,
        description: info.description,
        version: info.version ?? '1.0.0',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative: the document is served by the listener it describes.
      servers: [{ url: '/', description: 'this listener' }],
      components: {
        securitySchemes: {
          ...SECURITY_SCHEMES[info.security],
          ...info.webhooks?.securitySchemes,
        },
      },
      security: SECURITY_REQUIREMENT[info.security],
      ...(info.webhooks ? { webhooks: info.webhooks.webhooks } : {}),
    },
    transform: ({ schema, url, route }) => {
      const given = (schema ?? {}) as Record<string, unknown>;
      const publicSummary = PUBLIC_ROUTES[url];
      return {
        url,
        schema: {
          ...given,
          operationId: given.operationId ?? operationIdOf(route.method, url),
          ...(publicSummary === undefined
            ? {}
            : { security: [], summary: given.summary ?? publicSummary }),
        } as typeof schema,
      };
    },
  });
  app.get('/docs', { schema: { hide: true } }, async () => app.swagger());
}

/** `GET /app/v1/users/:userId` → `getAppV1UsersUserId`: a fallback for routes that name none. */
function operationIdOf(method: string | string[], url: string): string {
  const verb = (Array.isArray(method) ? (method[0] ?? 'get') : method).toLowerCase();
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return verb + words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
}
