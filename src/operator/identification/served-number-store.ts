import type { Queryable } from '../../db/port.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';

/**
 * Whether this operator serves a number it holds no valid contract for: the
 * difference between `NO_SUBSCRIBER_DATA` and `NOT_SERVED` (protocol.md §2).
 *
 * Our rule (documented in docs/architecture.md): a number the base has never
 * held, or whose latest contract ended by port-out, is not served here — the
 * messenger's routing is stale and it should re-route. A number whose latest
 * contract was terminated (or has no subscriber data) is still ours: there is
 * simply no subscriber data for it now.
 */
export async function servesNumber(db: Queryable, msisdn: string, at: Date): Promise<boolean> {
  const key = msisdnToKey(msisdn);
  if (key === null) return false;
  const { rows } = await db.query<{ end_reason: string | null }>(
    `SELECT end_reason FROM subscriber_contracts
     WHERE msisdn = $1 AND contract_start <= $2
     ORDER BY contract_start DESC LIMIT 1`,
    [key, at],
  );
  const latest = rows[0];
  return latest !== undefined && latest.end_reason !== 'ported_out';
}
