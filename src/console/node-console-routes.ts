import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../core/clock.js';
import { applyBearerAuth } from '../http/bearer-auth.js';
import type { HttpApp } from '../http/create-http-app.js';
import { type ConsoleNodes, readConsoleDashboard } from './console-dashboard.js';
import { readConsolePageFiles } from './console-page-files.js';
import { searchConsole } from './console-search.js';

/**
 * One node's own console on its internal (operator) or app
 * (messenger) listener — never the partner listener:
 * - `GET /console` and its script and style: static, no data, no credential;
 *   the page asks for the admin credential and keeps it for the browser tab
 *   only (sessionStorage);
 * - `GET /console/api/dashboard`, `GET /console/api/search?q=`: the data,
 *   behind the admin bearer credential (`node.adminToken`), which is not the
 *   internal token the BSS or the messenger's backend holds.
 * Numbers are masked in everything it returns (R11).
 */
export async function registerNodeConsole(
  app: HttpApp,
  deps: { nodes: ConsoleNodes; clock: Clock; adminToken: string },
): Promise<void> {
  const files = readConsolePageFiles('node-console.html');
  const page = (type: string, body: string) => async (_req: unknown, reply: FastifyReply) =>
    reply
      .type(type)
      .header('cache-control', 'no-store')
      // Same-origin script and style only; the page never embeds or is embedded.
      .header(
        'content-security-policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      )
      .header('x-content-type-options', 'nosniff')
      .send(body);
  const hidden = { schema: { hide: true } };
  app.get('/console', hidden, page('text/html; charset=utf-8', files.html));
  app.get('/console/console.js', hidden, page('text/javascript; charset=utf-8', files.js));
  app.get('/console/console.css', hidden, page('text/css; charset=utf-8', files.css));

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    applyBearerAuth(scope, deps.adminToken);
    scope.get('/console/api/dashboard', hidden, async () =>
      readConsoleDashboard(deps.nodes, deps.clock.now()),
    );
    scope.get(
      '/console/api/search',
      {
        schema: {
          hide: true,
          querystring: Type.Object(
            { q: Type.String({ minLength: 1, maxLength: 80 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => searchConsole(deps.nodes, request.query.q),
    );
  });
}
