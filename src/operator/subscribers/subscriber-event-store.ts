import type { Queryable } from '../../db/port.js';
import {
  CONTRACT_COLUMNS,
  type ContractEndReason,
  type ContractRow,
  type SubscriberType,
} from './subscriber-contract-store.js';

/**
 * SQL of subscriber event application. Every function takes the transaction
 * of one event; `lockNumberMark` must come first, so that all writes to one
 * number's contracts by events are serialized on its mark row.
 */

/** Takes the number's mark row lock; says whether `occurredAt` is older than the last applied event. */
export async function lockNumberMark(
  tx: Queryable,
  msisdnKey: string,
  occurredAt: Date,
): Promise<{ outOfOrder: boolean }> {
  await tx.query(
    `INSERT INTO subscriber_event_marks (msisdn, last_occurred_at) VALUES ($1, '-infinity')
     ON CONFLICT (msisdn) DO NOTHING`,
    [msisdnKey],
  );
  const { rows } = await tx.query<{ out_of_order: boolean }>(
    `SELECT last_occurred_at > $2 AS out_of_order FROM subscriber_event_marks
     WHERE msisdn = $1 FOR UPDATE`,
    [msisdnKey, occurredAt],
  );
  return { outOfOrder: rows[0]?.out_of_order === true };
}

export async function advanceNumberMark(
  tx: Queryable,
  msisdnKey: string,
  occurredAt: Date,
  eventId: string,
): Promise<void> {
  await tx.query(
    `UPDATE subscriber_event_marks SET last_occurred_at = $2, last_event_id = $3
     WHERE msisdn = $1 AND last_occurred_at <= $2`,
    [msisdnKey, occurredAt, eventId],
  );
}

export async function findProcessedEvent<R>(tx: Queryable, eventId: string): Promise<R | null> {
  const { rows } = await tx.query<{ result: R }>(
    'SELECT result FROM subscriber_events_processed WHERE event_id = $1',
    [eventId],
  );
  return rows[0]?.result ?? null;
}

/** False when another transaction recorded the same eventId first. */
export async function recordProcessedEvent(
  tx: Queryable,
  entry: {
    eventId: string;
    msisdnKey: string;
    type: string;
    occurredAt: Date;
    status: 'applied' | 'refused';
    result: unknown;
    processedAt: Date;
  },
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO subscriber_events_processed
       (event_id, msisdn, event_type, occurred_at, status, result, processed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      entry.eventId,
      entry.msisdnKey,
      entry.type,
      entry.occurredAt,
      entry.status,
      JSON.stringify(entry.result),
      entry.processedAt,
    ],
  );
  return rowCount === 1;
}

export async function findContract(
  tx: Queryable,
  msisdnKey: string,
  contractId: string,
): Promise<ContractRow | null> {
  const { rows } = await tx.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM subscriber_contracts WHERE msisdn = $1 AND contract_id = $2`,
    [msisdnKey, contractId],
  );
  return rows[0] ?? null;
}

/**
 * A contract of the number whose period overlaps [start, ∞): one ending after
 * start (preferred, the more specific answer), else an open one.
 */
export async function findContractOverlappingFrom(
  tx: Queryable,
  msisdnKey: string,
  start: Date,
): Promise<ContractRow | null> {
  const { rows } = await tx.query<ContractRow>(
    `SELECT ${CONTRACT_COLUMNS} FROM subscriber_contracts
     WHERE msisdn = $1 AND (contract_end IS NULL OR contract_end > $2)
     ORDER BY contract_end NULLS LAST LIMIT 1`,
    [msisdnKey, start],
  );
  return rows[0] ?? null;
}

export async function insertContract(
  tx: Queryable,
  contract: {
    msisdnKey: string;
    contractId: string;
    subscriberType: SubscriberType;
    hasSubscriberData: boolean;
    contractStart: Date;
    needsBssCheck: boolean;
    updatedAt: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO subscriber_contracts
       (msisdn, contract_id, subscriber_type, has_subscriber_data, contract_start, needs_bss_check, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      contract.msisdnKey,
      contract.contractId,
      contract.subscriberType,
      contract.hasSubscriberData,
      contract.contractStart,
      contract.needsBssCheck,
      contract.updatedAt,
    ],
  );
}

export async function endContract(
  tx: Queryable,
  msisdnKey: string,
  contractId: string,
  end: { contractEnd: Date; reason: ContractEndReason; updatedAt: Date },
): Promise<void> {
  await tx.query(
    `UPDATE subscriber_contracts SET contract_end = $3, end_reason = $4, updated_at = $5
     WHERE msisdn = $1 AND contract_id = $2 AND contract_end IS NULL`,
    [msisdnKey, contractId, end.contractEnd, end.reason, end.updatedAt],
  );
}

/** Changes only the fields given (undefined keeps the stored value). */
export async function updateContractDetails(
  tx: Queryable,
  msisdnKey: string,
  contractId: string,
  details: {
    subscriberType: SubscriberType | undefined;
    hasSubscriberData: boolean | undefined;
    needsBssCheck: boolean | undefined;
    updatedAt: Date;
  },
): Promise<void> {
  await tx.query(
    `UPDATE subscriber_contracts SET
       subscriber_type = COALESCE($3, subscriber_type),
       has_subscriber_data = COALESCE($4, has_subscriber_data),
       needs_bss_check = COALESCE($5, needs_bss_check),
       updated_at = $6
     WHERE msisdn = $1 AND contract_id = $2`,
    [
      msisdnKey,
      contractId,
      details.subscriberType ?? null,
      details.hasSubscriberData ?? null,
      details.needsBssCheck ?? null,
      details.updatedAt,
    ],
  );
}
