import { IdbridgeError } from '../core/errors.js';

/**
 * A failure to reach PostgreSQL, said as what to fix:
 * `database.url (DATABASE_URL): connection refused at 127.0.0.1:5999`.
 * Anything unrecognised is returned as it was.
 */
export function explainConnectionError(err: unknown, url: string): unknown {
  const e = err as { code?: string; message?: string };
  let where = 'the configured server';
  let user = '';
  let database = '';
  try {
    const u = new URL(url);
    where = `${u.hostname || 'localhost'}:${u.port || '5432'}`;
    user = decodeURIComponent(u.username);
    database = decodeURIComponent(u.pathname.slice(1));
  } catch {
    // An unparsable URL still gets the generic wording below.
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: `connection refused at ${where}`,
    ENOTFOUND: `host of ${where} not found`,
    EAI_AGAIN: `host of ${where} could not be resolved`,
    ETIMEDOUT: `connection to ${where} timed out`,
    EHOSTUNREACH: `host ${where} unreachable`,
    ECONNRESET: `connection to ${where} reset`,
    '28P01': `authentication failed for user "${user}" at ${where}`,
    '28000': `the server at ${where} refuses user "${user}" (pg_hba.conf)`,
    '3D000': `database "${database}" does not exist at ${where}; create it first`,
  };
  const reason = e?.code ? reasons[e.code] : undefined;
  if (!reason) return err;
  const code = e.code?.startsWith('E') ? 'UNAVAILABLE' : 'CONFIG_INVALID';
  return new IdbridgeError(code, `database.url (DATABASE_URL): ${reason}`, { cause: err });
}
