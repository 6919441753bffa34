import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { SubscriberEventBatch } from './subscriber-event-schema.js';

const check = TypeCompiler.Compile(SubscriberEventBatch);
const base = {
  eventId: '0190a7e4-0000-7000-8000-000000000001',
  msisdn: '+79161234567',
  contractId: 'c-1',
  occurredAt: '2026-11-28T09:00:00Z',
};

describe('subscriber event schema', () => {
  it('accepts each event type with its own fields', () => {
    expect(
      check.Check({
        events: [
          {
            ...base,
            type: 'contract_started',
            subscriberType: 'corporate',
            hasSubscriberData: true,
          },
          { ...base, type: 'contract_terminated', contractEnd: '2026-11-28T08:00:00+03:00' },
          { ...base, type: 'number_ported_out' },
          { ...base, type: 'subscriber_changed', hasSubscriberData: false },
        ],
      }),
    ).toBe(true);
  });

  it.each([
    [
      'a start without subscriberType',
      { ...base, type: 'contract_started', hasSubscriberData: true },
    ],
    ['an unknown type', { ...base, type: 'contract_paused' }],
    ['a number without plus', { ...base, msisdn: '79161234567', type: 'number_ported_out' }],
    [
      'a field of another type',
      { ...base, type: 'contract_terminated', subscriberType: 'individual' },
    ],
    [
      'a date without offset',
      { ...base, type: 'number_ported_out', occurredAt: '2026-11-28T09:00:00' },
    ],
  ])('refuses %s', (_title, event) => {
    expect(check.Check({ events: [event] })).toBe(false);
  });
});
