import { systemClock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { migrate } from '../../db/migrator.js';
import { openDatabase } from '../../db/open-database.js';
import type { Database } from '../../db/port.js';
import { loadNodeCredentials } from '../../node/node-credentials.js';
import { createPartnerClient } from '../../protocol/http/partner-client.js';
import { createRoutingService, loadRoutingTable } from '../../routing/index.js';
import { newIdentificationCode } from '../identification/identification-code.js';
import type { MessengerNodeConfig } from '../messenger-config.js';
import type { LegacyConfig } from './legacy-config.js';
import type { ReconcileDeps } from './reconcile-legacy-users.js';

/** One batch of 10,000 is decided in one operator transaction: give it time. */
const BATCH_TIMEOUT_MS = 120_000;

/**
 * The `messenger.legacy` section of the config (defaults when absent),
 * validated against LegacyConfigSchema.
 */
export function readLegacyConfig(config: MessengerNodeConfig): LegacyConfig {
  return config.messenger.legacy;
}

/** Opens a database; the CLI passes one that also says which database it is. */
export type OpenDatabase = (settings: MessengerNodeConfig['database']) => Promise<Database>;

/** The messenger's database, migrated (the legacy CLI commands need nothing else). */
export async function openMessengerDatabase(
  config: MessengerNodeConfig,
  open: OpenDatabase = openDatabase,
): Promise<Database> {
  const db = await open(config.database);
  try {
    await migrate(db, ['shared', 'messenger']);
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/**
 * Wires reconciliation as production runs it: the messenger's database,
 * credentials, routing data and a signed client with a batch-sized timeout.
 */
export async function openLegacyReconciler(
  config: MessengerNodeConfig,
  log: Logger,
  open: OpenDatabase = openDatabase,
): Promise<{ deps: ReconcileDeps; graceMs: number; close(): Promise<void> }> {
  const credentials = loadNodeCredentials(config);
  if (config.routing.planFiles.length === 0) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      'routing.planFiles is required: reconcile routes every number (I5)',
    );
  }
  const routing = await createRoutingService({
    log,
    load: async () =>
      (
        await loadRoutingTable({
          planFiles: [...config.routing.planFiles],
          portedFile: config.routing.portedFile,
          participants: credentials.directory.participants,
          onWarning: (w) => log.warn({ warning: w }, 'routing data'),
        })
      ).table,
  });
  const db = await openMessengerDatabase(config, open);
  const client = createPartnerClient({
    signer: credentials.signer,
    resolveKey: credentials.resolveKey,
    clock: systemClock,
    timeoutMs: Math.max(config.node.requestTimeoutMs, BATCH_TIMEOUT_MS),
    retries: 2,
    maxSkewSeconds: config.node.maxClockSkewSeconds,
  });
  return {
    deps: {
      db,
      clock: systemClock,
      ids: newId,
      newCode: newIdentificationCode,
      log,
      client,
      directory: credentials.directory,
      routing,
    },
    graceMs: config.messenger.graceSeconds * 1000,
    close: () => db.close(),
  };
}
