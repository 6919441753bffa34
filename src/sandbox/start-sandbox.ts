import { join } from 'node:path';
import Fastify from 'fastify';
import type { Config } from '../config/config-schema.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../db/migrator.js';
import { claimNodeIdentity } from '../db/node-identity-store.js';
import { createPgliteDatabase } from '../db/pglite-driver.js';
import type { Database } from '../db/port.js';
import { registerHealthRoutes } from '../http/health-routes.js';

export interface RunningSandbox {
  url: string;
  db: Database;
  stop(): Promise<void>;
}

/**
 * The sandbox network on embedded databases under `sandbox.dataDir`. For now
 * it is one node with health endpoints; the operator and messenger nodes join
 * it as they are built.
 */
export async function startSandbox(deps: {
  config: Readonly<Config>;
  log: Logger;
}): Promise<RunningSandbox> {
  const { config, log } = deps;
  const db = await createPgliteDatabase({ dataDir: join(config.sandbox.dataDir, 'sandbox') });
  await migrate(db, ['shared']);
  await claimNodeIdentity(db, 'sandbox', 'sandbox');

  const app = Fastify({ logger: false });
  registerHealthRoutes(app, { db, node: 'sandbox' });
  const address = await app.listen({ host: config.sandbox.host, port: config.sandbox.port });
  log.info({ address }, 'sandbox listening');

  return {
    url: address,
    db,
    async stop() {
      await app.close();
      await db.close();
    },
  };
}
