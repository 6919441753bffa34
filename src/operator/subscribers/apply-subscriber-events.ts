import type { Database } from '../../db/port.js';
import { decideSubscriberEvent } from './decide-subscriber-event.js';
import {
  type ApplySubscriberEventsOptions,
  refusal,
  type SubscriberEventErrorCode,
  type SubscriberEventResult,
} from './subscriber-event-result.js';
import type { SubscriberEvent } from './subscriber-event-schema.js';
import {
  findProcessedEvent,
  lockNumberMark,
  recordProcessedEvent,
} from './subscriber-event-store.js';
import { subscriberNumberKey } from './subscriber-msisdn.js';

class DuplicateEventRace extends Error {}

/**
 * Applies BSS subscriber events to the base; answers one result per event,
 * in input order.
 *
 * - Order: events are applied in `occurredAt` order (stable for equal
 *   times), so those of one number run in their order; an event older than
 *   the last applied event of its number is refused OUT_OF_ORDER.
 * - An event dated beyond the clock-skew window ahead of now is refused
 *   IN_FUTURE before anything is recorded: it would end contracts and close
 *   register entries "in the future" (R7), and would move the number's mark
 *   ahead so its real later events looked out of order. Not recorded, so the
 *   BSS can send the same eventId again with its time corrected.
 * - Idempotent by eventId: a known eventId gets its first result back
 *   (`duplicate: true`) and changes nothing.
 * - Each event runs in its own transaction, hooks included; a refused or
 *   failed event changes no contract. When an event fails unexpectedly
 *   (database fault, hook error), later events of the same number in this
 *   batch fail too (PREVIOUS_EVENT_FAILED), so none overtakes it.
 *
 * Concurrency: safe across processes. Each transaction first locks the
 * number's mark row, so events of one number apply one at a time; a
 * concurrent second delivery of an eventId waits, then sees the first result.
 */
export async function applySubscriberEvents(
  db: Database,
  events: readonly SubscriberEvent[],
  options: ApplySubscriberEventsOptions,
): Promise<SubscriberEventResult[]> {
  const order = events
    .map((event, index) => ({ event, index, at: Date.parse(event.occurredAt) }))
    .sort((a, b) => a.at - b.at || a.index - b.index);
  const results: SubscriberEventResult[] = new Array(events.length);
  const failedNumbers = new Set<string>();
  for (const { event, index } of order) {
    if (failedNumbers.has(event.msisdn)) {
      results[index] = failed(
        event,
        'PREVIOUS_EVENT_FAILED',
        'an earlier event of this number failed',
      );
      continue;
    }
    results[index] = await applyOne(db, event, options);
    if (results[index].status === 'failed') failedNumbers.add(event.msisdn);
  }
  return results;
}

async function applyOne(
  db: Database,
  event: SubscriberEvent,
  options: ApplySubscriberEventsOptions,
): Promise<SubscriberEventResult> {
  // The schema checks the E.164 form; the number rule checks the number itself.
  const number = subscriberNumberKey(event.msisdn);
  if (!number.ok) return refusal(event, 'INVALID_EVENT', number.reason);
  const msisdnKey = number.key;
  const occurredAt = new Date(event.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) {
    // Not recordable; the schema refuses these before us.
    return refusal(event, 'INVALID_EVENT', 'occurredAt is malformed');
  }
  const skewMs = (options.maxSkewSeconds ?? 300) * 1000;
  const now = options.clock.now();
  if (occurredAt.getTime() > now.getTime() + skewMs) {
    return refusal(
      event,
      'IN_FUTURE',
      `occurredAt ${event.occurredAt} is ahead of this node's clock (${now.toISOString()}) by more than ${skewMs / 1000} s; check the sender's clock`,
    );
  }
  try {
    return await db.transaction(async (tx) => {
      const { outOfOrder } = await lockNumberMark(tx, msisdnKey, occurredAt);
      const first = await findProcessedEvent<SubscriberEventResult>(tx, event.eventId);
      if (first) return { ...first, duplicate: true };
      const result = outOfOrder
        ? refusal(
            event,
            'OUT_OF_ORDER',
            'an event newer than this one was already applied for this number',
          )
        : await decideSubscriberEvent(tx, event, { msisdnKey, occurredAt, ...options });
      const recorded = await recordProcessedEvent(tx, {
        eventId: event.eventId,
        msisdnKey,
        type: event.type,
        occurredAt,
        status: result.status === 'applied' ? 'applied' : 'refused',
        result,
        processedAt: options.clock.now(),
      });
      if (!recorded) throw new DuplicateEventRace();
      return result;
    });
  } catch (err) {
    if (err instanceof DuplicateEventRace) {
      // The same eventId under another number, committed meanwhile: its answer stands.
      const first = await findProcessedEvent<SubscriberEventResult>(db, event.eventId);
      if (first) return { ...first, duplicate: true };
    }
    options.log?.error(
      { err, eventId: event.eventId, type: event.type },
      'subscriber event failed',
    );
    return failed(event, 'APPLY_FAILED', 'the event could not be applied; retry it');
  }
}

function failed(
  event: SubscriberEvent,
  code: SubscriberEventErrorCode,
  message: string,
): SubscriberEventResult {
  return { eventId: event.eventId, status: 'failed', duplicate: false, code, message };
}
