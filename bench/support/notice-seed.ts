import { newId } from '../../src/core/ids.js';
import type { Database, Queryable } from '../../src/db/port.js';
import {
  type ContractChange,
  writeContractNotices,
} from '../../src/operator/notices/write-contract-notices.js';

/** Contract i is the number +7916 000 0000 + i. */
export const FIRST_MSISDN = 79_160_000_000;

/** SQL for the identification code of contract `i` at messenger `m` (opaque, 32 hex chars). */
const code = (m: string, i: string) => `md5(${m} || ':' || ${i})`;

/**
 * `contracts` open contracts with one open register entry per messenger each,
 * as confirmed identifications leave them (I3). Set-based SQL.
 */
export async function seedOperatorEntries(
  db: Queryable,
  contracts: number,
  messengerIds: readonly string[],
): Promise<void> {
  const started = new Date(Date.now() - 30 * 86_400_000);
  await db.query(
    `INSERT INTO subscriber_contracts
       (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, updated_at)
     SELECT $1::bigint + i, 'C-' || i, 'individual', true, $2, $2 FROM generate_series(0, $3 - 1) i`,
    [FIRST_MSISDN, started, contracts],
  );
  await db.query(
    `INSERT INTO register_entries (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
     SELECT gen_random_uuid(), m, ${code('m', 'i::text')}, $1::bigint + i, 'C-' || i, gen_random_uuid(), $2
       FROM generate_series(0, $3 - 1) i CROSS JOIN unnest($4::text[]) m`,
    [FIRST_MSISDN, started, contracts, [...messengerIds]],
  );
  await db.query('ANALYZE subscriber_contracts; ANALYZE register_entries');
}

/** The messenger's identified users under the codes the operator holds for it. */
export async function seedMessengerUsers(
  db: Queryable,
  messengerId: string,
  operatorId: string,
  contracts: number,
): Promise<void> {
  const at = new Date(Date.now() - 30 * 86_400_000);
  await db.query(
    `INSERT INTO users
       (user_id, msisdn, state, identification_code, operator_id, identified_at, created_at, updated_at)
     SELECT gen_random_uuid(), '+' || ($1::bigint + i), 'identified', ${code('$4::text', 'i::text')},
            $5, $2, $2, $2
       FROM generate_series(0, $3 - 1) i`,
    [FIRST_MSISDN, at, contracts, messengerId, operatorId],
  );
  await db.query('ANALYZE users');
}

/**
 * Terminates every contract the way the operator node's R7 hook does
 * (`writeContractNotices`: close the entries, one notice per entry in the
 * outbox), `perTransaction` contracts per transaction. Returns notices written.
 */
export async function terminateAll(
  db: Database,
  contracts: number,
  perTransaction: number,
): Promise<number> {
  const occurredAt = new Date();
  let written = 0;
  for (let start = 0; start < contracts; start += perTransaction) {
    const changes: ContractChange[] = [];
    for (let i = start; i < Math.min(contracts, start + perTransaction); i++) {
      changes.push({
        eventId: newId(),
        type: 'contract_terminated',
        msisdn: `+${FIRST_MSISDN + i}`,
        contractId: `C-${i}`,
        occurredAt,
      });
    }
    written += await db.transaction((tx) =>
      writeContractNotices(tx, { ids: newId, now: new Date() }, changes),
    );
  }
  return written;
}
