import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { SubscriberEvent } from './subscriber-event-schema.js';

/**
 * Why an event was refused (recorded: a replay gets the same answer) or
 * failed (not recorded: the sender may retry).
 */
export const SUBSCRIBER_EVENT_ERRORS = {
  OUT_OF_ORDER: 'refused',
  UNKNOWN_CONTRACT: 'refused',
  CONTRACT_NOT_OPEN: 'refused',
  CONTRACT_EXISTS: 'refused',
  CONTRACT_ALREADY_OPEN: 'refused',
  CONTRACT_OVERLAP: 'refused',
  INVALID_EVENT: 'refused',
  IN_FUTURE: 'refused',
  APPLY_FAILED: 'failed',
  PREVIOUS_EVENT_FAILED: 'failed',
} as const;
export type SubscriberEventErrorCode = keyof typeof SUBSCRIBER_EVENT_ERRORS;

export interface SubscriberEventResult {
  eventId: string;
  /** applied: the base changed; refused: impossible or out of order, nothing changed; failed: nothing changed, retry. */
  status: 'applied' | 'refused' | 'failed';
  /** True when this is the stored answer to an earlier delivery of the same eventId. */
  duplicate: boolean;
  code?: SubscriberEventErrorCode;
  message?: string;
  /** Contract ids this event ended (contract_terminated, number_ported_out). */
  endedContractIds?: string[];
}

export interface ApplySubscriberEventsOptions {
  clock: Clock;
  /** How far ahead of this node's clock an occurredAt may be (node.maxClockSkewSeconds); default 300. */
  maxSkewSeconds?: number;
  log?: Logger;
  /** Ids of the notices the events write (R7); default newId. */
  ids?: IdGenerator;
}

export function refusal(
  event: SubscriberEvent,
  code: SubscriberEventErrorCode,
  message: string,
): SubscriberEventResult {
  return { eventId: event.eventId, status: 'refused', duplicate: false, code, message };
}
