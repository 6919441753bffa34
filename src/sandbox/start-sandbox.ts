import { rm } from 'node:fs/promises';
import type { Config } from '../config/config-schema.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { createHttpApp, type HttpApp } from '../http/create-http-app.js';
import { registerSandboxConsole } from './sandbox-console.js';
import { type SandboxNetwork, startSandboxNetwork } from './sandbox-network.js';

export interface RunningSandbox {
  url: string;
  network: SandboxNetwork;
  console: HttpApp;
  stop(): Promise<void>;
}

/**
 * `npm start`: the sandbox network plus its console (issue 7) on `sandbox.port`.
 * The data directory is reused on the next start; `reset` wipes it first.
 */
export async function startSandbox(deps: {
  config: Readonly<Config>;
  log: Logger;
  reset?: boolean;
}): Promise<RunningSandbox> {
  const { config, log } = deps;
  if (deps.reset) await rm(config.sandbox.dataDir, { recursive: true, force: true });
  const network = await startSandboxNetwork({
    dataDir: config.sandbox.dataDir,
    host: config.sandbox.host,
    basePort: config.sandbox.port,
    subscribersPerOperator: config.sandbox.subscribersPerOperator,
    clock: systemClock,
    log,
  });
  const app = createHttpApp();
  app.get('/health', async () => ({ status: 'ok', node: 'sandbox' }));
  app.get('/ready', async (_req, reply) => {
    try {
      await network.messenger.db.query('SELECT 1');
      for (const op of network.operators) await op.db.query('SELECT 1');
      return { status: 'ready', node: 'sandbox' };
    } catch {
      return reply
        .code(503)
        .send({ status: 503, code: 'UNAVAILABLE', message: 'a sandbox database is unavailable' });
    }
  });
  app.get('/api/nodes', async () => ({
    messenger: {
      id: 'tamtam',
      appUrl: network.messenger.appUrl,
      partnerUrl: network.messenger.partnerUrl,
    },
    operators: network.operators.map((o) => ({
      id: o.id,
      name: o.name,
      partnerUrl: o.partnerUrl,
      internalUrl: o.internalUrl,
    })),
  }));
  // Issue 7: the console page at `/`, its dashboards and the newcomer's actions.
  registerSandboxConsole(app, {
    network,
    dataDir: config.sandbox.dataDir,
    host: config.sandbox.host,
    clock: systemClock,
    log,
  });
  const url = await app.listen({ host: config.sandbox.host, port: config.sandbox.port });
  return {
    url,
    network,
    console: app,
    async stop() {
      await app.close();
      await network.stop();
    },
  };
}
