import { describe, expect, it } from 'vitest';
import { parseSubscriberEventMessage } from './parse-subscriber-event-message.js';

const encode = (value: unknown) =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const event = {
  type: 'contract_terminated',
  eventId: '00000000-0000-4000-8000-000000000001',
  msisdn: '+79161234567',
  contractId: 'c-1',
  occurredAt: '2026-01-01T00:00:00Z',
};

describe('parseSubscriberEventMessage', () => {
  it('reads a single event as a list of one', () => {
    expect(parseSubscriberEventMessage(encode(event))).toEqual({ ok: true, events: [event] });
  });

  it('reads a batch envelope in its order', () => {
    const second = { ...event, eventId: '00000000-0000-4000-8000-000000000002' };
    expect(parseSubscriberEventMessage(encode({ events: [event, second] }))).toEqual({
      ok: true,
      events: [event, second],
    });
  });

  it('refuses bytes that are not JSON', () => {
    const parsed = parseSubscriberEventMessage(encode('{"type":'));
    expect(parsed).toEqual({ ok: false, reason: 'the message is not UTF-8 JSON' });
  });

  it('refuses an event of an unknown type', () => {
    const parsed = parseSubscriberEventMessage(encode({ ...event, type: 'sim_swapped' }));
    expect(parsed.ok).toBe(false);
  });

  it('refuses an empty batch and names where it failed', () => {
    const parsed = parseSubscriberEventMessage(encode({ events: [] }));
    expect(parsed).toMatchObject({ ok: false, reason: expect.stringContaining('/events') });
  });

  it('never puts the offending value (a phone number) in the reason', () => {
    const parsed = parseSubscriberEventMessage(encode({ ...event, msisdn: '89161234567' }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).not.toContain('9161234567');
  });
});
