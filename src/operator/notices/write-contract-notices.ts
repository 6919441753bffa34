import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import { noticeDueBy } from '../../core/deadlines.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { enqueueOutbox } from '../../outbox/index.js';
import type { Notification, NotificationType } from '../../protocol/schemas/index.js';
import { msisdnToKey } from '../subscribers/subscriber-msisdn.js';

export interface ContractChange {
  /** Names the cause; with messenger and code it forms the notice's dedupe key. */
  eventId: string;
  type: NotificationType;
  msisdn: string;
  contractId: string;
  occurredAt: Date;
}

/**
 * Closes every open register entry of the given contracts and writes one
 * notice per entry into the outbox — inside the caller's transaction, the
 * same one that ends the contracts (R7, protocol.md §5), so a contract never
 * ends without its notices and a notice is never sent for a contract that did
 * not end. Due by noticeDueBy(occurredAt) (R7). Set-based: two statements whatever
 * the number of contracts (a bulk import may end thousands at once).
 * Returns how many notices were written.
 *
 * Concurrency: the UPDATE … RETURNING takes each entry exactly once even if
 * two transactions race (the loser finds no open entries); dedupe keys make
 * a re-applied event add no second notice.
 */
export async function writeContractNotices(
  tx: Queryable,
  deps: { ids: IdGenerator; now: Date },
  changes: ContractChange | readonly ContractChange[],
): Promise<number> {
  const list: readonly ContractChange[] = Array.isArray(changes)
    ? changes
    : [changes as ContractChange];
  if (list.length === 0) return 0;
  const { rows } = await tx.query<{ messenger_id: string; code: string; n: number }>(
    `UPDATE register_entries e SET closed_at = c.occurred_at::timestamptz, close_reason = c.type
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[])
       AS c(msisdn, contract_id, occurred_at, type, n)
     WHERE e.msisdn = c.msisdn AND e.contract_id = c.contract_id AND e.closed_at IS NULL
     RETURNING e.messenger_id, e.code, c.n`,
    [
      list.map((c) => msisdnToKey(c.msisdn)),
      list.map((c) => c.contractId),
      list.map((c) => c.occurredAt.toISOString()),
      list.map((c) => c.type),
      list.map((_, n) => n),
    ],
  );
  if (rows.length === 0) return 0;
  // Audited as parallel columns (item n at position n of each): an import
  // chunk can end thousands of contracts at once.
  const notices = {
    messengerId: [] as string[],
    code: [] as string[],
    notificationId: [] as string[],
  };
  await enqueueOutbox(
    tx,
    rows.map((row) => {
      const change = list[row.n] as ContractChange;
      const dueBy = noticeDueBy(change.occurredAt);
      const payload: Notification = {
        notificationId: deps.ids(),
        type: change.type,
        identificationCode: row.code,
        occurredAt: change.occurredAt.toISOString(),
        dueBy: dueBy.toISOString(),
      };
      notices.messengerId.push(row.messenger_id);
      notices.code.push(row.code);
      notices.notificationId.push(payload.notificationId);
      return {
        kind: 'notice',
        partnerId: row.messenger_id,
        dedupeKey: `${change.eventId}:${row.messenger_id}:${row.code}`,
        payload,
        dueBy,
        eventAt: change.occurredAt,
      };
    }),
    { now: deps.now, newId: deps.ids },
  );
  // The register closures and their notices, one entry per call
  // (contract ids and events only: no numbers, R11).
  await appendAuditEntry(tx, {
    kind: 'notice.written',
    subject: `contract:${list[0]?.contractId ?? ''}`,
    at: deps.now,
    data: {
      changes: {
        eventId: list.map((c) => c.eventId),
        type: list.map((c) => c.type),
        contractId: list.map((c) => c.contractId),
        occurredAt: list.map((c) => c.occurredAt.toISOString()),
      },
      notices,
    },
  });
  return rows.length;
}

/**
 * R7 for a subscriber-file import: contracts the file ends are notified as
 * terminations, in the import chunk's transaction. The dedupe key is the
 * contract and its end, so re-importing the same file adds no notice.
 */
export async function writeNoticesForImportedEnds(
  tx: Queryable,
  deps: { ids: IdGenerator; now: Date },
  ended: ReadonlyArray<{ msisdn: string; contractId: string; contractEnd: Date }>,
): Promise<void> {
  await writeContractNotices(
    tx,
    deps,
    ended.map((e) => ({
      eventId: `import:${e.msisdn}:${e.contractId}:${e.contractEnd.toISOString()}`,
      type: 'contract_terminated' as const,
      msisdn: e.msisdn,
      contractId: e.contractId,
      occurredAt: e.contractEnd,
    })),
  );
}
