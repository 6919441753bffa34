import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IdbridgeError } from '../core/errors.js';
import { type DatabaseSettings, openDatabase } from '../db/open-database.js';
import type { Database } from '../db/port.js';

/** Which database the settings name, for a person: the URL without its password, or the directory. */
export function describeDatabase(settings: DatabaseSettings): string {
  const schema =
    settings.schema && settings.schema !== 'public' ? `, schema ${settings.schema}` : '';
  if (settings.url) {
    let where = settings.url;
    try {
      const u = new URL(settings.url);
      const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
      where = `postgres://${user}${u.host}${u.pathname}`;
    } catch {
      where = 'postgres://(unparsable URL)';
    }
    return `PostgreSQL ${where}${schema}`;
  }
  return `embedded PGlite at ${resolve(settings.dataDir)}${schema}`;
}

/** Whether there is a database to open: a server URL, or an embedded one already created. */
export function databaseExists(settings: DatabaseSettings): boolean {
  return Boolean(settings.url) || existsSync(join(settings.dataDir, 'PG_VERSION'));
}

/**
 * Opens the database a maintenance command works on and says which one, on
 * stderr, so an import can never land somewhere unseen.
 * Only `create: true` (migrate) may make a new embedded database; any other
 * command refuses a data directory no node has created yet.
 */
export async function openCliDatabase(
  settings: DatabaseSettings,
  options: { create?: boolean } = {},
): Promise<Database> {
  if (!options.create && !databaseExists(settings)) {
    throw new IdbridgeError(
      'CONFIG_INVALID',
      `no database is configured (database.url / DATABASE_URL unset) and no embedded database exists at ${resolve(settings.dataDir)}; pass -c FILE naming the node's config, set DATABASE_URL, or create it with \`idbridge migrate --node KIND\``,
    );
  }
  console.error(`idbridge: database: ${describeDatabase(settings)}`);
  return openDatabase(settings);
}
