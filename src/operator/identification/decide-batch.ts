import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import { answerDueBy } from '../../core/deadlines.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { NumberHasher } from '../../core/number-hash.js';
import type { Queryable } from '../../db/port.js';
import type {
  BatchIdentificationRequest,
  BatchIdentificationResponse,
} from '../../protocol/schemas/index.js';
import { asRegisterConflict } from '../register/register-store.js';
import { findValidContracts } from '../subscribers/subscriber-contract-store.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';

type BatchResult = BatchIdentificationResponse['results'][number];

/**
 * Legacy users (R9) by the I1 rule: confirmed iff a valid contract with
 * subscriber data covers the number and began on or before `userSince`
 * (the end of that day, UTC); a later contract means the number changed hands
 * (`NUMBER_REASSIGNED`). Confirmations open register entries in the same
 * transaction (I3).
 *
 * Set-based: a fixed handful of statements whatever the batch size, never one
 * query per item.
 *
 * STATS_PROOF: the register grows from nothing to millions of entries during
 * a national legacy reconciliation, faster than autovacuum re-analyzes it.
 * With statistics saying "empty", a plain join of the items with
 * register_entries put the whole register on the outside and scanned the
 * 10,000 items once per entry (minutes per batch at a few 100,000 entries).
 * The statements below probe the register per item through a LATERAL
 * subquery with LIMIT 1, which PostgreSQL cannot flatten into a join, so the
 * plan is the same whatever the statistics say. A code already registered (or used twice in the batch)
 * fails the whole batch with CONFLICT naming the item, as a single request
 * would; a number twice in one batch is INVALID_ARGUMENT.
 */
export async function decideBatch(
  tx: Queryable,
  deps: { ids: IdGenerator; hashNumber: NumberHasher },
  input: { messengerId: string; batch: BatchIdentificationRequest; receivedAt: Date },
): Promise<BatchIdentificationResponse> {
  const { messengerId, batch, receivedAt } = input;
  const items = batch.items;
  assertDistinct(
    items.map((i) => i.msisdn),
    'msisdn',
  );
  assertDistinct(
    items.map((i) => i.requestId),
    'requestId',
  );
  assertDistinct(
    items.map((i) => i.identificationCode),
    'identificationCode',
  );

  // Locked so that no termination ends them unseen before this commits (R7).
  const contracts = await findValidContracts(
    tx,
    items.map((i) => i.msisdn),
    receivedAt,
    { lock: 'share' },
  );
  const served = await servedNumbers(
    tx,
    items.filter((_, n) => contracts[n] === null).map((i) => i.msisdn),
    receivedAt,
  );

  const results: BatchResult[] = [];
  const confirmed: Array<{ n: number; entryId: string }> = [];
  items.forEach((item, n) => {
    const contract = contracts[n] ?? null;
    if (!contract?.hasSubscriberData) {
      const reason = contract || served.has(item.msisdn) ? 'NO_SUBSCRIBER_DATA' : 'NOT_SERVED';
      results.push({ requestId: item.requestId, result: 'not_confirmed', reason });
      return;
    }
    // I1: userSince is a calendar date; a contract that began that day counts.
    const endOfUserSince = Date.parse(`${item.userSince}T23:59:59.999Z`);
    if (contract.contractStart.getTime() > endOfUserSince) {
      results.push({
        requestId: item.requestId,
        result: 'not_confirmed',
        reason: 'NUMBER_REASSIGNED',
      });
      return;
    }
    results.push({ requestId: item.requestId, result: 'confirmed' });
    confirmed.push({ n, entryId: deps.ids() });
  });

  // Codes of items that open no entry are probed here; the codes of
  // confirmed items are checked by the register's unique index as their
  // entries go in (one probe each instead of two).
  await assertCodesUnused(
    tx,
    messengerId,
    items.filter((_, n) => results[n]?.result !== 'confirmed').map((i) => i.identificationCode),
    items,
  );

  if (confirmed.length > 0) {
    const pick = <T>(f: (n: number) => T) => confirmed.map((c) => f(c.n));
    const keys = pick((n) => msisdnToKey(items[n]?.msisdn ?? ''));
    const contractIds = pick((n) => contracts[n]?.contractId ?? '');
    // Identified again: the new code replaces the open entry (protocol.md §2).
    // Shaped so no statistics can change the plan (see STATS_PROOF below):
    // one probe of register_entries_open per item, then the primary key.
    await tx.query(
      `UPDATE register_entries SET closed_at = $3, close_reason = 'replaced'
       WHERE entry_id = ANY (ARRAY(
         SELECT o.entry_id FROM unnest($1::bigint[], $2::text[]) AS c(msisdn, contract_id)
         CROSS JOIN LATERAL (
           SELECT e.entry_id FROM register_entries e
           WHERE e.msisdn = c.msisdn AND e.contract_id = c.contract_id
             AND e.messenger_id = $4 AND e.closed_at IS NULL
           LIMIT 1
         ) o
       ))`,
      [keys, contractIds, receivedAt, messengerId],
    );
    try {
      await tx.query(
        `INSERT INTO register_entries (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
         SELECT e.entry_id, $1, e.code, e.msisdn, e.contract_id, e.request_id, $2
         FROM unnest($3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::uuid[])
           AS e(entry_id, code, msisdn, contract_id, request_id)`,
        [
          messengerId,
          receivedAt,
          confirmed.map((c) => c.entryId),
          pick((n) => items[n]?.identificationCode),
          keys,
          contractIds,
          pick((n) => items[n]?.requestId),
        ],
      );
    } catch (err) {
      throw asBatchCodeConflict(err, items);
    }
  }

  const entryByItem = new Map(confirmed.map((c) => [c.n, c.entryId]));
  // One HMAC per item, used by the request rows and the audit entry alike.
  const msisdnHashes = items.map((i) => deps.hashNumber(i.msisdn));
  const codes = items.map((i) => i.identificationCode);
  const reasons = results.map((r) => ('reason' in r ? r.reason : null));
  const entryIds = items.map((_, n) => entryByItem.get(n) ?? null);
  await tx.query(
    `INSERT INTO identification_requests
       (messenger_id, request_id, msisdn_hash, code, purpose, received_at, answer_by,
        state, reason, answered_at, decided_by, entry_id)
     SELECT $1, r.request_id, r.msisdn_hash, r.code, 'legacy', $2, $3,
            r.state, r.reason, $2, 'fast', r.entry_id
     FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[])
       AS r(request_id, msisdn_hash, code, state, reason, entry_id)`,
    [
      messengerId,
      receivedAt,
      answerDueBy(receivedAt),
      items.map((i) => i.requestId),
      msisdnHashes,
      codes,
      results.map((r) => r.result),
      reasons,
      entryIds,
    ],
  );
  // One audit entry for the whole batch (numbers keyed-hashed, R11),
  // its items as parallel columns (item n is position n of each): 10,000
  // objects repeating six key names made the entry a third larger, and
  // sorting their keys for the canonical encoding was 5% of a batch's CPU.
  await appendAuditEntry(tx, {
    kind: 'identification.batch_decided',
    subject: `batch:${messengerId}:${batch.batchId}`,
    at: receivedAt,
    data: {
      messengerId,
      batchId: batch.batchId,
      columns: {
        requestId: results.map((r) => r.requestId),
        result: results.map((r) => r.result),
        reason: reasons,
        msisdnHash: msisdnHashes,
        code: codes,
        entryId: entryIds,
      },
    },
  });
  return { batchId: batch.batchId, results };
}

/**
 * A unique violation of the register's code index, as the CONFLICT naming
 * the item whose code it was (PostgreSQL's detail quotes the key:
 * `Key (messenger_id, code)=(m, CODE) already exists.`).
 */
function asBatchCodeConflict(err: unknown, items: BatchIdentificationRequest['items']): unknown {
  const e = err as { code?: string; constraint?: string; detail?: string };
  if (e.code !== '23505' || e.constraint !== 'register_entries_code') {
    return asRegisterConflict(err);
  }
  const item = items.find((i) => e.detail?.includes(`, ${i.identificationCode}) already exists`));
  return new IdbridgeError(
    'CONFLICT',
    `identificationCode of item ${item?.requestId ?? '?'} is already registered`,
    { cause: err },
  );
}

function assertDistinct(values: string[], field: string): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) {
      throw new IdbridgeError('INVALID_ARGUMENT', `the same ${field} appears twice in the batch`);
    }
    seen.add(v);
  }
}

async function assertCodesUnused(
  tx: Queryable,
  messengerId: string,
  codes: string[],
  items: BatchIdentificationRequest['items'],
): Promise<void> {
  if (codes.length === 0) return;
  // One probe of register_entries_code per item (STATS_PROOF).
  const { rows } = await tx.query<{ code: string }>(
    `SELECT c.code FROM unnest($2::text[]) AS c(code)
     CROSS JOIN LATERAL (
       SELECT 1 FROM register_entries e WHERE e.messenger_id = $1 AND e.code = c.code LIMIT 1
     ) taken
     LIMIT 1`,
    [messengerId, codes],
  );
  const taken = rows[0];
  if (taken) {
    const item = items.find((i) => i.identificationCode === taken.code);
    throw new IdbridgeError(
      'CONFLICT',
      `identificationCode of item ${item?.requestId ?? '?'} is already registered`,
    );
  }
}

/** Set-based `servesNumber`: which of these numbers this operator serves. */
async function servedNumbers(tx: Queryable, msisdns: string[], at: Date): Promise<Set<string>> {
  if (msisdns.length === 0) return new Set();
  const { rows } = await tx.query<{ msisdn: string }>(
    `SELECT q.msisdn::text AS msisdn
     FROM unnest($1::bigint[]) AS q(msisdn)
     CROSS JOIN LATERAL (
       SELECT end_reason FROM subscriber_contracts c
       WHERE c.msisdn = q.msisdn AND c.contract_start <= $2
       ORDER BY c.contract_start DESC LIMIT 1
     ) latest
     WHERE latest.end_reason IS DISTINCT FROM 'ported_out'`,
    [msisdns.map((m) => msisdnToKey(m)), at],
  );
  return new Set(rows.map((r) => `+${r.msisdn}`));
}
