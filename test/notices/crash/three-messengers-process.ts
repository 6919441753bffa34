/**
 * Child process of the notice crash test: hosts several messenger nodes in
 * one process, each from its own config file (its own schema, key and
 * partner port), started through the production entry point. Prints
 * `messengers ready` once all listen. Run with `node --import tsx`.
 */
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/core/logger.js';
import { startMessengerNode } from '../../../src/messenger/start-messenger-node.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: three-messengers-process.ts CONFIG...');
  process.exit(2);
}
for (const file of files) {
  const config = loadConfig({ file, env: {} });
  const log = createLogger({ level: config.log.level, name: config.node.id ?? 'messenger' });
  await startMessengerNode(config, log);
}
console.log('messengers ready');
