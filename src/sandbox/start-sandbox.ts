import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { Config } from '../config/config-schema.js';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { IDBRIDGE_VERSION } from '../core/version.js';
import { lockDataDir } from '../db/data-dir-lock.js';
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
 * `npm start`: the sandbox network plus its console on `sandbox.port`.
 * The data directory is reused on the next start; `reset` wipes it first.
 */
export async function startSandbox(deps: {
  config: Readonly<Config>;
  log: Logger;
  reset?: boolean;
}): Promise<RunningSandbox> {
  const { config, log } = deps;
  const { dataDir } = config.sandbox;
  // A reset must not wipe the directory of a sandbox that is running on it.
  if (deps.reset && existsSync(dataDir)) {
    lockDataDir(dataDir)();
    await rm(dataDir, { recursive: true, force: true });
  }
  await mkdir(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  try {
    return await startOn(config, log, release);
  } catch (err) {
    release();
    throw err;
  }
}

async function startOn(
  config: Readonly<Config>,
  log: Logger,
  release: () => void,
): Promise<RunningSandbox> {
  const network = await startSandboxNetwork({
    dataDir: config.sandbox.dataDir,
    host: config.sandbox.host,
    basePort: config.sandbox.port,
    subscribersPerOperator: config.sandbox.subscribersPerOperator,
    clock: systemClock,
    log,
  });
  const app = createHttpApp();
  app.get('/health', async () => ({ status: 'ok', node: 'sandbox', version: IDBRIDGE_VERSION }));
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
  // The console page at `/`, its dashboards and the newcomer's actions.
  registerSandboxConsole(app, {
    network,
    dataDir: config.sandbox.dataDir,
    host: config.sandbox.host,
    clock: systemClock,
    log,
  });
  let url: string;
  try {
    url = await app.listen({ host: config.sandbox.host, port: config.sandbox.port });
  } catch (err) {
    // Close what is already open, so a failed start exits instead of serving half.
    await app.close();
    await network.stop();
    throw err;
  }
  return {
    url,
    network,
    console: app,
    async stop() {
      await app.close();
      await network.stop();
      release();
    },
  };
}
