import type { Registry } from 'prom-client';
import type { ConsoleNodes } from '../console/console-dashboard.js';
import { registerNodeConsole } from '../console/node-console-routes.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../db/port.js';
import { applyBearerAuth } from '../http/bearer-auth.js';
import { createHttpApp, type HttpApp } from '../http/create-http-app.js';
import { registerHealthRoutes } from '../http/health-routes.js';
import type { RequestSeconds } from '../http/http-metrics.js';
import { registerOpenApi } from '../http/openapi.js';
import { createReplayStore } from '../partner-records/replay-store.js';
import { applySignedPartnerScope } from '../protocol/http/signed-partner-scope.js';
import { MAX_BODY_BYTES } from '../protocol/schemas/index.js';
import type { NodeCredentials } from './node-credentials.js';

/** What both listeners of a node are built from. */
export interface NodeAppDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  credentials: NodeCredentials;
  /** The access log switch (`log.access`) and the request-duration histogram. */
  observe: { accessLog: boolean; requestSeconds: RequestSeconds };
  /** `node.maxClockSkewSeconds` and `node.publicBaseUrl`. */
  node: { maxClockSkewSeconds: number; publicBaseUrl?: string | undefined };
}

/** What a listener's OpenAPI document says of it. */
interface AppDocument {
  title: string;
  description: string;
  webhooks?: Parameters<typeof registerOpenApi>[1]['webhooks'];
}

/**
 * The partner listener: OpenAPI, health, and a scope where every request is
 * verified and every answer signed (RFC 9421), nonces kept in the database.
 * `routes` registers the node's partner endpoints in that scope.
 */
export async function createPartnerApp(
  deps: NodeAppDeps,
  doc: AppDocument,
  routes: (scope: HttpApp) => void,
): Promise<HttpApp> {
  const { db, clock, log, credentials, node } = deps;
  const app = createHttpApp({ log, ...deps.observe, listener: 'partner' });
  await registerOpenApi(app, { ...doc, security: 'signature' });
  registerHealthRoutes(app, { db, node: credentials.selfId });
  await app.register(async (scope) => {
    applySignedPartnerScope(scope, {
      resolveKey: credentials.resolveKey,
      replay: createReplayStore({ db, clock, windowSeconds: node.maxClockSkewSeconds }),
      clock,
      signer: credentials.signer,
      maxSkewSeconds: node.maxClockSkewSeconds,
      publicBaseUrl: node.publicBaseUrl,
      bodyLimit: MAX_BODY_BYTES,
    });
    routes(scope);
  });
  return app;
}

/**
 * The node's own listener (the operator's internal API, the messenger's app
 * API): OpenAPI, health, the node console when it has a credential,
 * `/metrics`, and a bearer-guarded scope for `routes`.
 */
export async function createOwnApp(
  deps: NodeAppDeps & { registry: Registry; role: 'operator' | 'messenger' },
  options: AppDocument & { listener: 'internal' | 'app'; causeCodes?: boolean },
  routes: (scope: HttpApp) => void,
): Promise<HttpApp> {
  const { db, clock, log, credentials, registry } = deps;
  const { listener, causeCodes, ...doc } = options;
  const app = createHttpApp({ log, ...deps.observe, listener, causeCodes });
  await registerOpenApi(app, { ...doc, security: 'bearer' });
  registerHealthRoutes(app, { db, node: credentials.selfId });
  if (credentials.adminToken) {
    await registerNodeConsole(app, {
      nodes: consoleNodes(deps),
      clock,
      adminToken: credentials.adminToken,
    });
  }
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.header('content-type', registry.contentType).send(await registry.metrics()),
  );
  await app.register(async (scope) => {
    applyBearerAuth(scope, credentials.internalToken);
    routes(scope);
  });
  return app;
}

/** The node console shows this node alone, by its role. */
function consoleNodes(
  deps: NodeAppDeps & { registry: Registry; role: 'operator' | 'messenger' },
): ConsoleNodes {
  const { credentials, db, registry } = deps;
  const id = credentials.selfId;
  if (deps.role === 'messenger') return { operators: [], messenger: { id, db, registry } };
  return { operators: [{ id, name: credentials.directory.get(id)?.name ?? id, db, registry }] };
}
