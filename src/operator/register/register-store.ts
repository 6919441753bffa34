import { appendAuditEntry } from '../../audit/append-audit-entry.js';
import { IdbridgeError } from '../../core/errors.js';
import type { WritePart } from '../../db/combined-writes.js';
import type { Queryable } from '../../db/port.js';
import { keyToMsisdn, msisdnToKey } from '../subscribers/subscriber-msisdn.js';

export type CloseReason =
  | 'replaced'
  | 'withdrawn'
  | 'contract_terminated'
  | 'number_ported_out'
  | 'subscriber_changed';

export interface RegisterEntry {
  entryId: string;
  messengerId: string;
  code: string;
  msisdn: string;
  contractId: string;
  requestId: string;
  openedAt: Date;
  closedAt: Date | null;
  closeReason: CloseReason | null;
}

export interface EntryRow {
  entry_id: string;
  messenger_id: string;
  code: string;
  msisdn: string;
  contract_id: string;
  request_id: string;
  opened_at: Date;
  closed_at: Date | null;
  close_reason: CloseReason | null;
}

export const REGISTER_ENTRY_COLUMNS =
  'entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at, closed_at, close_reason';

export function toEntry(row: EntryRow): RegisterEntry {
  return {
    entryId: row.entry_id,
    messengerId: row.messenger_id,
    code: row.code,
    msisdn: keyToMsisdn(row.msisdn),
    contractId: row.contract_id,
    requestId: row.request_id,
    openedAt: new Date(row.opened_at),
    closedAt: row.closed_at === null ? null : new Date(row.closed_at),
    closeReason: row.close_reason,
  };
}

/** The entry a messenger's code names, open or closed (codes are never reused). */
export async function findEntryByCode(
  db: Queryable,
  messengerId: string,
  code: string,
): Promise<RegisterEntry | null> {
  const { rows } = await db.query<EntryRow>(
    `SELECT ${REGISTER_ENTRY_COLUMNS} FROM register_entries WHERE messenger_id = $1 AND code = $2`,
    [messengerId, code],
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

/** A register entry to open (R5, I3), opened at `at`; `msisdn` is E.164. */
export type NewRegisterEntry = Pick<
  RegisterEntry,
  'entryId' | 'messengerId' | 'code' | 'msisdn' | 'contractId' | 'requestId'
> & { at: Date };

/**
 * Opens an entry for (contract, messenger), closing the open one it replaces
 * (re-identification keeps the old code in history, protocol.md §2).
 * Concurrency: the partial unique index on open entries makes two racing
 * confirmations for the same contract and messenger fail one of them rather
 * than leave two open entries; the caller's transaction then rolls back.
 */
export async function openRegisterEntry(tx: Queryable, entry: NewRegisterEntry): Promise<void> {
  await closeReplacedEntry(tx, entry);
  const write = registerEntryWrite(entry);
  try {
    await tx.query(write.sql, write.params);
  } catch (err) {
    throw asRegisterConflict(err);
  }
}

/** Closes the open entry of (contract, messenger), if any: a new code replaces it. */
export async function closeReplacedEntry(
  tx: Queryable,
  entry: Pick<NewRegisterEntry, 'msisdn' | 'contractId' | 'messengerId' | 'at'>,
): Promise<void> {
  await tx.query(
    `UPDATE register_entries SET closed_at = $4, close_reason = 'replaced'
     WHERE msisdn = $1 AND contract_id = $2 AND messenger_id = $3 AND closed_at IS NULL`,
    [msisdnToKey(entry.msisdn), entry.contractId, entry.messengerId, entry.at],
  );
}

/**
 * The INSERT of a new open entry, to run alone or combined with the other
 * writes of a decision (db/combined-writes.ts). The open entry it replaces,
 * if any, must be closed by an earlier statement (closeReplacedEntry): in the
 * same statement the unique index would still see it open. A unique
 * violation from it means CONFLICT (asRegisterConflict).
 */
export function registerEntryWrite(entry: NewRegisterEntry): WritePart {
  return {
    name: 'register_opened',
    sql: `INSERT INTO register_entries (entry_id, messenger_id, code, msisdn, contract_id, request_id, opened_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    params: [
      entry.entryId,
      entry.messengerId,
      entry.code,
      msisdnToKey(entry.msisdn),
      entry.contractId,
      entry.requestId,
      entry.at,
    ],
  };
}

/** A unique-index violation means a racing request took the code or the slot first. */
export function asRegisterConflict(err: unknown): unknown {
  if ((err as { code?: string }).code === '23505') {
    return new IdbridgeError('CONFLICT', 'identificationCode is already registered', {
      cause: err,
    });
  }
  return err;
}

/**
 * Closes the open entry a messenger's code names (I4 withdrawal). Returns
 * false when the code is unknown to this messenger or already closed.
 */
export async function closeEntryByCode(
  tx: Queryable,
  messengerId: string,
  code: string,
  reason: CloseReason,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE register_entries SET closed_at = $3, close_reason = $4
     WHERE messenger_id = $1 AND code = $2 AND closed_at IS NULL`,
    [messengerId, code, at, reason],
  );
  if (rowCount > 0) {
    await appendAuditEntry(tx, {
      kind: 'register.closed',
      subject: `code:${messengerId}:${code}`,
      at,
      data: { messengerId, code, reason },
    });
  }
  return rowCount > 0;
}

/** Every open entry of a contract: whom to notify when it ends (R7). */
export async function listOpenEntriesOfContract(
  db: Queryable,
  msisdn: string,
  contractId: string,
): Promise<RegisterEntry[]> {
  const { rows } = await db.query<EntryRow>(
    `SELECT ${REGISTER_ENTRY_COLUMNS} FROM register_entries
     WHERE msisdn = $1 AND contract_id = $2 AND closed_at IS NULL ORDER BY messenger_id`,
    [msisdnToKey(msisdn), contractId],
  );
  return rows.map(toEntry);
}

/** An entry's whole history for a number, oldest first. */
export async function listEntriesOfNumber(db: Queryable, msisdn: string): Promise<RegisterEntry[]> {
  const { rows } = await db.query<EntryRow>(
    `SELECT ${REGISTER_ENTRY_COLUMNS} FROM register_entries WHERE msisdn = $1 ORDER BY opened_at, entry_id`,
    [msisdnToKey(msisdn)],
  );
  return rows.map(toEntry);
}
