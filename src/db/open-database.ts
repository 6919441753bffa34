import { createPgliteDatabase } from './pglite-driver.js';
import type { Database } from './port.js';
import { createPostgresDatabase } from './postgres-driver.js';

export interface DatabaseSettings {
  /** PostgreSQL connection string; when absent, embedded PGlite is used. */
  url?: string | undefined;
  /** PGlite data directory (used only without `url`). */
  dataDir: string;
  schema?: string | undefined;
  poolSize?: number | undefined;
}

/** PostgreSQL when a URL is configured, otherwise PGlite on disk. */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.url) {
    return createPostgresDatabase({
      url: settings.url,
      schema: settings.schema,
      poolSize: settings.poolSize,
    });
  }
  return createPgliteDatabase({ dataDir: settings.dataDir, schema: settings.schema });
}
