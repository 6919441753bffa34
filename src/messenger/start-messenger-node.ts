import { readFileSync } from 'node:fs';
import { systemClock } from '../core/clock.js';
import { IdbridgeError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../db/migrator.js';
import { claimNodeIdentity } from '../db/node-identity-store.js';
import { openDatabase } from '../db/open-database.js';
import { closeQuietly } from '../node/close-quietly.js';
import { listenNodeListeners } from '../node/listen-or-explain.js';
import { loadNodeCredentials } from '../node/node-credentials.js';
import { createRoutingService, loadRoutingTable } from '../routing/index.js';
import { createMessengerNode, type MessengerNode } from './create-messenger-node.js';
import type { MessengerNodeConfig } from './messenger-config.js';
import { createMessengerWebhooks, resolveWebhookSettings } from './webhooks/index.js';

export const MESSENGER_MIGRATION_SETS = ['shared', 'messenger'];

/** The production entry point of a messenger node. */
export async function startMessengerNode(
  config: MessengerNodeConfig,
  log: Logger,
): Promise<{ node: MessengerNode; appUrl: string; partnerUrl: string; stop(): Promise<void> }> {
  const credentials = loadNodeCredentials(config);
  if (config.routing.planFiles.length === 0) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      'routing.planFiles is required: the messenger routes numbers to operators (I5)',
    );
  }
  const smsSecret = readSmsSecret(config);
  // Before the database opens: a url without a usable secret is a config error.
  const webhookSettings = resolveWebhookSettings(config.messenger.webhooks);
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
  const db = await openDatabase(config.database);
  let node: MessengerNode | undefined;
  try {
    await migrate(db, MESSENGER_MIGRATION_SETS);
    await claimNodeIdentity(db, 'messenger', credentials.selfId);
    node = await createMessengerNode({
      db,
      clock: systemClock,
      ids: newId,
      log,
      credentials,
      config,
      routing,
      smsSecret,
      ...createMessengerWebhooks(webhookSettings, { clock: systemClock, newId }),
    });
    const started = node;
    const { partnerUrl, internalUrl: appUrl } = await listenNodeListeners(
      { partner: started.partnerApp, internal: started.appApp },
      config.node,
    );
    await started.start();
    return {
      node: started,
      appUrl,
      partnerUrl,
      async stop() {
        await started.stop();
        await db.close();
      },
    };
  } catch (err) {
    // Close what was opened, so no listener of a failed start answers.
    await closeQuietly(log, () => node?.stop());
    await closeQuietly(log, () => db.close());
    throw err;
  }
}

function readSmsSecret(config: MessengerNodeConfig): string {
  if (config.messenger.smsSecret) return config.messenger.smsSecret;
  const file = config.messenger.smsSecretFile;
  if (!file)
    throw new IdbridgeError(
      'CONFIG_INVALID',
      'messenger.smsSecret (or messenger.smsSecretFile) is required',
    );
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < 32)
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `messenger.smsSecretFile ${file} holds fewer than 32 characters`,
    );
  return secret;
}
