import { explainConnectionError } from './explain-connection-error.js';
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

/**
 * PostgreSQL when a URL is configured, otherwise PGlite on disk. A server
 * that cannot be reached fails here, said as what to fix, not at the first
 * query of whatever runs next.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  if (settings.url) {
    const db = createPostgresDatabase({
      url: settings.url,
      schema: settings.schema,
      poolSize: settings.poolSize,
    });
    try {
      await db.query('SELECT 1');
    } catch (err) {
      await db.close().catch(() => {});
      throw explainConnectionError(err, settings.url);
    }
    return db;
  }
  return createPgliteDatabase({ dataDir: settings.dataDir, schema: settings.schema });
}
