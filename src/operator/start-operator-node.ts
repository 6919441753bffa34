import { systemClock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../db/migrator.js';
import { claimNodeIdentity } from '../db/node-identity-store.js';
import { openDatabase } from '../db/open-database.js';
import { closeQuietly } from '../node/close-quietly.js';
import { listenNodeListeners } from '../node/listen-or-explain.js';
import { loadNodeCredentials } from '../node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from './create-operator-node.js';
import { createHttpBssChecker } from './identification/http-bss-checker.js';
import type { OperatorNodeConfig } from './operator-config.js';
import { startNatsSubscriberEventConsumer } from './subscribers/nats/start-nats-subscriber-event-consumer.js';

export const OPERATOR_MIGRATION_SETS = ['shared', 'operator'];

/**
 * The production entry point: real clock and ids, database from config,
 * migrations applied, both listeners bound, background work started.
 */
export async function startOperatorNode(
  config: OperatorNodeConfig,
  log: Logger,
): Promise<{
  node: OperatorNode;
  partnerUrl: string;
  internalUrl: string;
  stop(): Promise<void>;
}> {
  const credentials = loadNodeCredentials(config);
  const db = await openDatabase(config.database);
  let node: OperatorNode | undefined;
  let nats: { stop(): Promise<void> } | undefined;
  try {
    const report = await migrate(db, OPERATOR_MIGRATION_SETS);
    if (report.applied.length > 0)
      log.info({ applied: report.applied.length }, 'migrations applied');
    await claimNodeIdentity(db, 'operator', credentials.selfId);
    const checkerUrl = config.operator.slowPath.checkerUrl;
    node = await createOperatorNode({
      db,
      clock: systemClock,
      ids: newId,
      log,
      credentials,
      config,
      checker: checkerUrl
        ? createHttpBssChecker({ url: checkerUrl, timeoutMs: config.node.requestTimeoutMs })
        : undefined,
    });
    const started = node;
    const { partnerUrl, internalUrl } = await listenNodeListeners(
      { partner: started.partnerApp, internal: started.internalApp },
      config.node,
    );
    await started.start();
    // The same events from a bus, for operators whose BSS publishes to NATS.
    nats = config.operator.nats.enabled
      ? await startNatsSubscriberEventConsumer({
          config: config.operator.nats,
          clock: systemClock,
          log,
          apply: (events) => started.applyEvents(events),
        })
      : undefined;
    const consumer = nats;
    return {
      node: started,
      partnerUrl,
      internalUrl,
      async stop() {
        await consumer?.stop();
        await started.stop();
        await db.close();
      },
    };
  } catch (err) {
    // Close what was opened, so no listener of a failed start answers.
    await closeQuietly(log, () => nats?.stop());
    await closeQuietly(log, () => node?.stop());
    await closeQuietly(log, () => db.close());
    throw err;
  }
}
