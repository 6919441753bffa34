import type { Config } from '../config/config-schema.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';

/** What every command gets: the validated config and a masked logger. */
export interface CliContext {
  config: Readonly<Config>;
  log: Logger;
}

export function createCliContext(
  configFile: string | undefined,
  overrides?: Record<string, unknown>,
): CliContext {
  const config = loadConfig({ file: configFile, overrides });
  return { config, log: createLogger({ level: config.log.level, name: 'idbridge' }) };
}
