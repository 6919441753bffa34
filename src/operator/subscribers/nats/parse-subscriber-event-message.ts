import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  SubscriberEvent,
  SubscriberEventBatch,
  type SubscriberEvent as SubscriberEventType,
} from '../subscriber-event-schema.js';

export type ParsedSubscriberEventMessage =
  | { ok: true; events: SubscriberEventType[] }
  | { ok: false; reason: string };

const checkEvent = TypeCompiler.Compile(SubscriberEvent);
const checkBatch = TypeCompiler.Compile(SubscriberEventBatch);

/**
 * Reads one NATS message body: a single event, or a batch envelope
 * `{ "events": [...] }` (the same body as the internal HTTP route). The
 * reason of a refusal names the failing path and rule but never a value, so
 * it can be logged without leaking a number (R11).
 */
export function parseSubscriberEventMessage(data: Uint8Array): ParsedSubscriberEventMessage {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return { ok: false, reason: 'the message is not UTF-8 JSON' };
  }
  const isEnvelope = typeof body === 'object' && body !== null && 'events' in body;
  if (isEnvelope) {
    if (checkBatch.Check(body)) return { ok: true, events: body.events };
    return { ok: false, reason: `invalid event batch: ${firstError(checkBatch.Errors(body))}` };
  }
  if (checkEvent.Check(body)) return { ok: true, events: [body] };
  return { ok: false, reason: `invalid event: ${firstError(checkEvent.Errors(body))}` };
}

function firstError(errors: Iterable<{ path: string; message: string }>): string {
  for (const e of errors) return `${e.path || '/'} ${e.message}`;
  return 'unknown shape';
}
