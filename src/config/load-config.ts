import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IdbridgeError } from '../core/errors.js';
import { validateConfig } from '../core/validate-config.js';
import { type Config, ConfigSchema } from './config-schema.js';

/**
 * Reads configuration once: defaults, then the file (YAML or JSON), then the
 * environment. The result is validated against the schema and deep-frozen;
 * nothing else in the program reads `process.env`.
 *
 * Environment names: `IDBRIDGE_` + the key path in SCREAMING_SNAKE_CASE with
 * `__` between levels (`IDBRIDGE_DATABASE__POOL_SIZE=20` sets
 * `database.poolSize`). `DATABASE_URL` is accepted for `database.url`.
 */
export interface LoadConfigOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values set by CLI flags; they win over file and environment. */
  overrides?: Record<string, unknown>;
}

const ENV_PREFIX = 'IDBRIDGE_';

export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = options.file ? readConfigFile(options.file) : {};
  applyEnvironment(raw, env);
  if (options.overrides) deepMerge(raw, options.overrides);
  return validateConfig(raw, ConfigSchema, options.file);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `cannot read config file ${file}: ${(err as Error).message}`,
    );
  }
  try {
    const parsed: unknown = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the top level must be a mapping of sections');
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `cannot parse config file ${file}: ${(err as Error).message}`,
    );
  }
}

function applyEnvironment(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env.DATABASE_URL) setPath(target, ['database', 'url'], env.DATABASE_URL);
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const path = name
      .slice(ENV_PREFIX.length)
      .split('__')
      .map((part) =>
        part.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()),
      );
    // Lists are written comma-separated in the environment.
    setPath(target, path, value.includes(',') ? value.split(',') : value);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const existing = target[key];
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof existing === 'object' &&
      existing !== null
    ) {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}
