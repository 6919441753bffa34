import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/port.js';
import { applyBearerAuth } from '../../src/http/bearer-auth.js';
import { createHttpApp } from '../../src/http/create-http-app.js';
import type { AccountService } from '../../src/messenger/accounts/account-service.js';
import { registerMessengerAppRoutes } from '../../src/messenger/http/app-routes.js';
import type { PermissionCheck } from '../../src/messenger/permission/permission-check.js';

export interface CalibrationServer {
  url: string;
  stop(): Promise<void>;
}

const ANSWER = (userId: string) => JSON.stringify({ userId, maySend: true, state: 'identified' });

/**
 * The floor: node:http answering the permission path with a constant body
 * and nothing else (no framework, no auth, no database) — what one HTTP
 * request/response over loopback costs on this machine.
 */
export async function startBareHttpServer(): Promise<CalibrationServer> {
  const server = createServer((req, res) => {
    const userId = req.url?.split('/')[4] ?? '';
    const body = ANSWER(userId);
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The node's app-API stack exactly as createMessengerNode builds it
 * (createHttpApp hooks, bearer auth, the permission route with its param and
 * response schemas) but with a permission check that answers at once: the
 * cost of the framework and route without the check itself.
 */
export function startFreeCheckAppServer(token: string): Promise<CalibrationServer> {
  return startAppStackServer(token, {
    check: async (userId) => ({ userId, maySend: true, state: 'identified' }),
    invalidate: () => {},
  });
}

/** The same stack around any permission check (e.g. a prototype under evaluation). */
export async function startAppStackServer(
  token: string,
  permission: PermissionCheck,
): Promise<CalibrationServer> {
  const app = createHttpApp();
  await app.register(async (scope) => {
    applyBearerAuth(scope, token);
    registerMessengerAppRoutes(scope, {
      // Only the permission route is called; it touches neither.
      db: undefined as unknown as Database,
      accounts: undefined as unknown as AccountService,
      permission,
      devOutboxReadable: false,
      callerId: 'app',
    });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, stop: () => app.close() };
}
