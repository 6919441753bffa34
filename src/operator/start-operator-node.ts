import type { Config } from '../config/config-schema.js';
import { systemClock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { migrate } from '../db/migrator.js';
import { claimNodeIdentity } from '../db/node-identity-store.js';
import { openDatabase } from '../db/open-database.js';
import { loadNodeCredentials } from '../node/node-credentials.js';
import { createOperatorNode, type OperatorNode } from './create-operator-node.js';
import { createHttpBssChecker } from './identification/http-bss-checker.js';
import { startNatsSubscriberEventConsumer } from './subscribers/nats/start-nats-subscriber-event-consumer.js';

export const OPERATOR_MIGRATION_SETS = ['shared', 'operator'];

/**
 * The production entry point: real clock and ids, database from config,
 * migrations applied, both listeners bound, background work started.
 */
export async function startOperatorNode(
  config: Readonly<Config>,
  log: Logger,
): Promise<{
  node: OperatorNode;
  partnerUrl: string;
  internalUrl: string;
  stop(): Promise<void>;
}> {
  const credentials = loadNodeCredentials(config);
  const db = await openDatabase(config.database);
  try {
    const report = await migrate(db, OPERATOR_MIGRATION_SETS);
    if (report.applied.length > 0)
      log.info({ applied: report.applied.length }, 'migrations applied');
    await claimNodeIdentity(db, 'operator', credentials.selfId);
    const checkerUrl = config.operator.slowPath.checkerUrl;
    const node = await createOperatorNode({
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
    const partnerUrl = await node.partnerApp.listen({ ...config.node.partnerListener });
    const internalUrl = await node.internalApp.listen({ ...config.node.internalListener });
    await node.start();
    // The same events from a bus, for operators whose BSS publishes to NATS.
    const nats = config.operator.nats.enabled
      ? await startNatsSubscriberEventConsumer({
          config: config.operator.nats,
          clock: systemClock,
          log,
          apply: (events) => node.applyEvents(events),
        })
      : undefined;
    return {
      node,
      partnerUrl,
      internalUrl,
      async stop() {
        await nats?.stop();
        await node.stop();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
