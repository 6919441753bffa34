import type { Queryable } from '../db/port.js';

/** An operator's view of one number: its contracts and register entries. */
export interface NumberAtOperator {
  contracts: Array<{
    contractId: string;
    start: Date;
    end: Date | null;
    endReason: string | null;
  }>;
  entries: Array<{
    messengerId: string;
    code: string;
    openedAt: Date;
    closedAt: Date | null;
    closeReason: string | null;
  }>;
}

/** `digits`: the E.164 digits without `+` (the subscriber tables' bigint key). */
export async function numberAtOperator(db: Queryable, digits: string): Promise<NumberAtOperator> {
  const contracts = await db.query<{
    contract_id: string;
    contract_start: Date;
    contract_end: Date | null;
    end_reason: string | null;
  }>(
    `SELECT contract_id, contract_start, contract_end, end_reason FROM subscriber_contracts
      WHERE msisdn = $1::bigint ORDER BY contract_start DESC`,
    [digits],
  );
  const entries = await registerEntriesWhere(db, 'msisdn = $1::bigint', digits);
  return {
    contracts: contracts.rows.map((r) => ({
      contractId: r.contract_id,
      start: r.contract_start,
      end: r.contract_end,
      endReason: r.end_reason,
    })),
    entries,
  };
}

export async function registerEntriesByCode(db: Queryable, code: string) {
  return registerEntriesWhere(db, 'code = $1', code);
}

async function registerEntriesWhere(db: Queryable, where: string, value: string) {
  const { rows } = await db.query<{
    messenger_id: string;
    code: string;
    opened_at: Date;
    closed_at: Date | null;
    close_reason: string | null;
  }>(
    `SELECT messenger_id, code, opened_at, closed_at, close_reason FROM register_entries
      WHERE ${where} ORDER BY opened_at DESC LIMIT 50`,
    [value],
  );
  return rows.map((r) => ({
    messengerId: r.messenger_id,
    code: r.code,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    closeReason: r.close_reason,
  }));
}

/** The open contract of a number, for BSS events the sandbox sends on a newcomer's click. */
export async function openContractOf(
  db: Queryable,
  digits: string,
): Promise<{ contractId: string; subscriberType: string } | null> {
  const { rows } = await db.query<{ contract_id: string; subscriber_type: string }>(
    `SELECT contract_id, subscriber_type FROM subscriber_contracts
      WHERE msisdn = $1::bigint AND contract_end IS NULL`,
    [digits],
  );
  const r = rows[0];
  return r ? { contractId: r.contract_id, subscriberType: r.subscriber_type } : null;
}

/**
 * Numbers of the operator's own range with an open contract and subscriber
 * data, answered on the fast path — candidates for a newcomer to register.
 */
export async function sampleIdentifiableNumbers(
  db: Queryable,
  input: { prefixDigits: string; limit: number },
): Promise<string[]> {
  const { rows } = await db.query<{ msisdn: string }>(
    `SELECT msisdn::text AS msisdn FROM subscriber_contracts
      WHERE contract_end IS NULL AND has_subscriber_data AND NOT needs_bss_check
        AND msisdn::text LIKE $1 || '%'
      ORDER BY random() LIMIT $2`,
    [input.prefixDigits, input.limit],
  );
  return rows.map((r) => r.msisdn);
}
