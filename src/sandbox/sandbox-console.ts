import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { readConsoleDashboard } from '../console/console-dashboard.js';
import { readConsolePageFiles } from '../console/console-page-files.js';
import { searchConsole } from '../console/console-search.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { HttpApp } from '../http/create-http-app.js';
import { Uuid } from '../protocol/schemas/index.js';
import { createSandboxActions } from './sandbox-actions.js';
import type { SandboxNetwork } from './sandbox-network.js';

const Closed = { additionalProperties: false } as const;
const UserParams = Type.Object({ userId: Uuid }, Closed);
const OperatorId = Type.String({ pattern: '^[a-z0-9-]{1,32}$' });

/**
 * The sandbox console on the sandbox listener: the page at `/`,
 * dashboards read from every node's database, and the newcomer's actions,
 * each done through a node's real API. No credential: the sandbox listens
 * on localhost and its data is synthetic; the inbox is the one place full
 * numbers are shown.
 */
export function registerSandboxConsole(
  app: HttpApp,
  deps: { network: SandboxNetwork; dataDir: string; host: string; clock: Clock; log: Logger },
): void {
  const { network, clock } = deps;
  const actions = createSandboxActions({
    network,
    portedFile: join(deps.dataDir, 'Port_All.csv'),
    host: deps.host,
    clock,
    ids: newId,
    log: deps.log,
  });
  const nodes = {
    operators: network.operators.map((o) => ({
      id: o.id,
      name: o.name,
      db: o.db,
      registry: o.node.registry,
    })),
    messenger: {
      id: 'tamtam',
      db: network.messenger.db,
      registry: network.messenger.node.registry,
    },
  };
  const files = readConsolePageFiles('sandbox-console.html');
  const noStore = 'no-store';
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', noStore).send(files.html),
  );
  app.get('/console/console.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', noStore).send(files.js),
  );
  app.get('/console/console.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', noStore).send(files.css),
  );

  app.get('/api/console/dashboard', async () => readConsoleDashboard(nodes, clock.now()));
  app.get(
    '/api/console/search',
    {
      schema: {
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 80 }) }, Closed),
      },
    },
    async (request) => searchConsole(nodes, request.query.q),
  );

  app.get('/api/sandbox/nodes', async () => ({
    messenger: { id: 'tamtam', status: await healthOf(network.messenger.partnerUrl) },
    operators: await Promise.all(
      network.operators.map(async (o) => ({
        id: o.id,
        name: o.name,
        offline: actions.isOffline(o.id),
        status: await healthOf(o.partnerUrl),
      })),
    ),
  }));

  app.get('/api/sandbox/inbox', async (_req, reply) => relay(reply, await actions.inbox()));
  app.post(
    '/api/sandbox/registrations',
    {
      schema: {
        body: Type.Object(
          {
            phone: Type.Optional(Type.String({ maxLength: 40 })),
            operatorId: Type.Optional(OperatorId),
          },
          Closed,
        ),
      },
    },
    async (request, reply) => relay(reply, await actions.register(request.body)),
  );
  app.post(
    '/api/sandbox/registrations/confirm',
    {
      schema: {
        body: Type.Object(
          {
            phone: Type.String({ minLength: 1, maxLength: 40 }),
            code: Type.String({ minLength: 1, maxLength: 10 }),
          },
          Closed,
        ),
      },
    },
    async (request, reply) => relay(reply, await actions.confirm(request.body)),
  );
  app.post(
    '/api/sandbox/users/:userId/end-contract',
    { schema: { params: UserParams } },
    async (request, reply) => relay(reply, await actions.endContract(request.params.userId)),
  );
  app.post(
    '/api/sandbox/users/:userId/port',
    {
      schema: {
        params: UserParams,
        body: Type.Object({ toOperatorId: OperatorId }, Closed),
      },
    },
    async (request, reply) =>
      relay(reply, await actions.portNumber(request.params.userId, request.body.toOperatorId)),
  );
  app.post(
    '/api/sandbox/operators/:operatorId/offline',
    {
      schema: {
        params: Type.Object({ operatorId: OperatorId }, Closed),
        body: Type.Object({ offline: Type.Boolean() }, Closed),
      },
    },
    async (request) => actions.setOffline(request.params.operatorId, request.body.offline),
  );
}

function relay(
  reply: { code(status: number): { send(body: unknown): unknown } },
  answer: { status: number; body: unknown },
) {
  return reply.code(answer.status).send(answer.body);
}

async function healthOf(baseUrl: string): Promise<'up' | 'down'> {
  try {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
    return response.ok ? 'up' : 'down';
  } catch {
    return 'down';
  }
}
