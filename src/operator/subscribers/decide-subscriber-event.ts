import { type IdGenerator, newId } from '../../core/ids.js';
import type { Queryable } from '../../db/port.js';
import { writeContractNotices } from '../notices/write-contract-notices.js';
import {
  type ApplySubscriberEventsOptions,
  refusal,
  type SubscriberEventResult,
} from './subscriber-event-result.js';
import type {
  ContractStartedEvent,
  ContractTerminatedEvent,
  NumberPortedOutEvent,
  SubscriberChangedEvent,
  SubscriberEvent,
} from './subscriber-event-schema.js';
import {
  advanceNumberMark,
  endContract,
  findContract,
  findContractOverlappingFrom,
  insertContract,
  updateContractDetails,
} from './subscriber-event-store.js';

interface DecideContext extends ApplySubscriberEventsOptions {
  msisdnKey: string;
  occurredAt: Date;
}

function noticeDeps(ctx: DecideContext): { ids: IdGenerator; now: Date } {
  return { ids: ctx.ids ?? newId, now: ctx.clock.now() };
}

/**
 * Checks one event against the number's contracts and, when possible,
 * applies it: the caller holds the number's mark lock and the transaction.
 * A refusal writes nothing.
 */
export async function decideSubscriberEvent(
  tx: Queryable,
  event: SubscriberEvent,
  ctx: DecideContext,
): Promise<SubscriberEventResult> {
  let result: SubscriberEventResult;
  switch (event.type) {
    case 'contract_started':
      result = await startContract(tx, event, ctx);
      break;
    case 'contract_terminated':
    case 'number_ported_out':
      result = await finishContract(tx, event, ctx);
      break;
    case 'subscriber_changed':
      result = await changeSubscriber(tx, event, ctx);
      break;
  }
  if (result.status === 'applied') {
    await advanceNumberMark(tx, ctx.msisdnKey, ctx.occurredAt, event.eventId);
  }
  return result;
}

function applied(event: SubscriberEvent, endedContractIds?: string[]): SubscriberEventResult {
  return {
    eventId: event.eventId,
    status: 'applied',
    duplicate: false,
    ...(endedContractIds ? { endedContractIds } : {}),
  };
}

async function startContract(
  tx: Queryable,
  event: ContractStartedEvent,
  ctx: DecideContext,
): Promise<SubscriberEventResult> {
  const contractStart = new Date(event.contractStart ?? event.occurredAt);
  if (Number.isNaN(contractStart.getTime())) {
    return refusal(event, 'INVALID_EVENT', 'contractStart is not a date-time');
  }
  if (await findContract(tx, ctx.msisdnKey, event.contractId)) {
    return refusal(event, 'CONTRACT_EXISTS', 'this contract already exists for this number');
  }
  // One valid contract per number at any instant: the new period
  // [contractStart, ∞) may not meet an open contract or one ending later.
  const other = await findContractOverlappingFrom(tx, ctx.msisdnKey, contractStart);
  if (other) {
    return other.contract_end === null
      ? refusal(event, 'CONTRACT_ALREADY_OPEN', 'another contract is open for this number')
      : refusal(
          event,
          'CONTRACT_OVERLAP',
          'another contract of this number ends after contractStart',
        );
  }
  await insertContract(tx, {
    msisdnKey: ctx.msisdnKey,
    contractId: event.contractId,
    subscriberType: event.subscriberType,
    hasSubscriberData: event.hasSubscriberData,
    contractStart,
    needsBssCheck: event.needsBssCheck ?? false,
    updatedAt: ctx.clock.now(),
  });
  return applied(event);
}

async function finishContract(
  tx: Queryable,
  event: ContractTerminatedEvent | NumberPortedOutEvent,
  ctx: DecideContext,
): Promise<SubscriberEventResult> {
  const contractEnd = new Date(event.contractEnd ?? event.occurredAt);
  if (Number.isNaN(contractEnd.getTime())) {
    return refusal(event, 'INVALID_EVENT', 'contractEnd is not a date-time');
  }
  const contract = await findContract(tx, ctx.msisdnKey, event.contractId);
  if (!contract) return refusal(event, 'UNKNOWN_CONTRACT', 'no such contract for this number');
  if (contract.contract_end !== null) {
    return refusal(event, 'CONTRACT_NOT_OPEN', 'the contract has already ended');
  }
  if (contractEnd.getTime() < new Date(contract.contract_start).getTime()) {
    return refusal(event, 'INVALID_EVENT', 'contractEnd is before the contract started');
  }
  await endContract(tx, ctx.msisdnKey, event.contractId, {
    contractEnd,
    reason: event.type === 'number_ported_out' ? 'ported_out' : 'terminated',
    updatedAt: ctx.clock.now(),
  });
  // R7: the contract's register entries close and their notices are written
  // in this same transaction, so an ended contract never lacks its notices.
  await writeContractNotices(tx, noticeDeps(ctx), {
    eventId: event.eventId,
    type: event.type,
    msisdn: event.msisdn,
    contractId: event.contractId,
    occurredAt: ctx.occurredAt,
  });
  return applied(event, [event.contractId]);
}

async function changeSubscriber(
  tx: Queryable,
  event: SubscriberChangedEvent,
  ctx: DecideContext,
): Promise<SubscriberEventResult> {
  const contract = await findContract(tx, ctx.msisdnKey, event.contractId);
  if (!contract) return refusal(event, 'UNKNOWN_CONTRACT', 'no such contract for this number');
  if (contract.contract_end !== null) {
    return refusal(event, 'CONTRACT_NOT_OPEN', 'the contract has already ended');
  }
  await updateContractDetails(tx, ctx.msisdnKey, event.contractId, {
    subscriberType: event.subscriberType,
    hasSubscriberData: event.hasSubscriberData,
    needsBssCheck: event.needsBssCheck,
    updatedAt: ctx.clock.now(),
  });
  // R7: a change of the user's details calls for re-identification.
  await writeContractNotices(tx, noticeDeps(ctx), {
    eventId: event.eventId,
    type: event.type,
    msisdn: event.msisdn,
    contractId: event.contractId,
    occurredAt: ctx.occurredAt,
  });
  return applied(event);
}
