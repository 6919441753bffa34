/**
 * Counters of the NATS subscriber-event consumer, read through `stats()`
 * (the node may expose them as metrics). Messages and events are counted
 * apart: a batch message carries many events.
 */
export interface NatsConsumerStats {
  connected: boolean;
  /** Deliveries taken from the server, redeliveries included. */
  messagesReceived: number;
  messagesAcked: number;
  /** Terminated at once: not JSON or not a subscriber event. */
  messagesInvalid: number;
  /** Deliveries whose apply failed or threw (nak-ed or given up). */
  applyFailures: number;
  /** Returned unapplied: behind a failed message, or on stop. */
  messagesDeferred: number;
  /** Failed maxDeliver times: dead-lettered or terminated. */
  messagesGivenUp: number;
  eventsApplied: number;
  /** Events already processed under their eventId (redeliveries). */
  eventsDuplicate: number;
  /** Refused (out of order, impossible): final, recorded and acked. */
  eventsRefused: number;
  pullErrors: number;
  lastAckedStreamSequence: number | null;
  lastAppliedAt: Date | null;
}

export function createNatsConsumerStats(): NatsConsumerStats {
  return {
    connected: true,
    messagesReceived: 0,
    messagesAcked: 0,
    messagesInvalid: 0,
    applyFailures: 0,
    messagesDeferred: 0,
    messagesGivenUp: 0,
    eventsApplied: 0,
    eventsDuplicate: 0,
    eventsRefused: 0,
    pullErrors: 0,
    lastAckedStreamSequence: null,
    lastAppliedAt: null,
  };
}
