import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../core/validate-config.js';
import type { UserState } from '../users/user-states.js';
import type { User } from '../users/user-store.js';
import { resolveWebhookSettings, WebhookConfigSchema } from './webhook-config.js';
import {
  serializeWebhookEvent,
  type WebhookEvent,
  WebhookEventSchema,
  webhookEventForUserChange,
} from './webhook-event.js';

const T = new Date('2026-11-28T09:00:00.000Z');

function userIn(state: UserState, extra: Partial<User> = {}): User {
  return {
    userId: 'u-1',
    msisdn: '+79161234567',
    state,
    identificationCode: 'code-secret-1',
    operatorId: 'mts',
    identifiedAt: new Date('2026-11-01T10:00:00.000Z'),
    suspendedAt: null,
    graceUntil: null,
    createdAt: new Date('2026-11-01T09:59:00.000Z'),
    updatedAt: T,
    ...extra,
  };
}

describe('webhook events of user changes', () => {
  it('maps each reported state to its event type, with the transition time', () => {
    const cases: Array<[UserState, string, boolean]> = [
      ['identified', 'user.identified', true],
      ['not_identified', 'user.not_identified', false],
      ['suspended', 'user.suspended', false],
      ['deauthorized', 'user.deauthorized', false],
    ];
    for (const [state, type, maySend] of cases) {
      const event = webhookEventForUserChange({ user: userIn(state), cause: 'c' });
      expect(event).toMatchObject({ type, occurredAt: T, data: { state, maySend } });
    }
  });

  it('sends nothing for moves the backend caused itself (pending, deleted)', () => {
    for (const state of ['pending_identification', 'deleted', 'unverified'] as const) {
      expect(webhookEventForUserChange({ user: userIn(state), cause: 'c' })).toBeNull();
    }
  });

  it('carries neither the phone number nor the identification code (R11)', () => {
    const change = {
      user: userIn('suspended', { suspendedAt: T, graceUntil: new Date('2026-12-05T09:00:00Z') }),
      cause: 'operator said +79161234567 left',
    };
    const built = webhookEventForUserChange(change);
    if (!built) throw new Error('expected an event');
    const event = { type: built.type, timestamp: T.toISOString(), data: built.data };
    const body = serializeWebhookEvent(event);
    expect(body).not.toContain('1234567');
    expect(body).not.toContain('code-secret-1');
    expect(built.data.cause).toBe('operator said +7916*****67 left');
    expect(Value.Check(WebhookEventSchema, JSON.parse(body))).toBe(true);
    expect(JSON.parse(body).data).toEqual({
      userId: 'u-1',
      state: 'suspended',
      maySend: false,
      cause: 'operator said +7916*****67 left',
      operatorId: 'mts',
      identifiedAt: '2026-11-01T10:00:00.000Z',
      suspendedAt: '2026-11-28T09:00:00.000Z',
      graceUntil: '2026-12-05T09:00:00.000Z',
    });
  });

  it('serializes with a fixed key order whatever order the stored object has', () => {
    const event: WebhookEvent = {
      type: 'user.identified',
      timestamp: T.toISOString(),
      data: {
        userId: 'u-1',
        state: 'identified',
        maySend: true,
        cause: 'confirmed',
        operatorId: 'mts',
        identifiedAt: T.toISOString(),
        suspendedAt: null,
        graceUntil: null,
      },
    };
    const shuffled = JSON.parse(
      JSON.stringify({ data: { ...event.data }, timestamp: event.timestamp, type: event.type }),
    ) as WebhookEvent;
    expect(serializeWebhookEvent(shuffled)).toBe(serializeWebhookEvent(event));
    expect(serializeWebhookEvent(event)).toMatch(/^\{"type":"user.identified","timestamp":/);
  });
});

describe('webhook config', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

  it('is off without a url and defaults the timeout to 15 s', () => {
    const config = validateConfig({}, WebhookConfigSchema);
    expect(config.timeoutMs).toBe(15_000);
    expect(resolveWebhookSettings(config)).toBeNull();
  });

  it('needs a valid secret, given directly or in a file, once a url is set', () => {
    const url = 'https://backend.example/webhooks';
    const withUrl = validateConfig({ url }, WebhookConfigSchema);
    expect(() => resolveWebhookSettings(withUrl)).toThrow(/secret/);
    expect(resolveWebhookSettings({ ...withUrl, secret })).toEqual({
      url,
      secret,
      timeoutMs: 15_000,
    });
    const fromFile = resolveWebhookSettings({ ...withUrl, secretFile: '/run/s' }, (path) =>
      path === '/run/s' ? `${secret}\n` : '',
    );
    expect(fromFile?.secret).toBe(secret);
    expect(() => resolveWebhookSettings({ ...withUrl, secret: 'whsec_c2hvcnQ=' })).toThrow(/24/);
  });

  it('names the bad key when the section is invalid', () => {
    expect(() => validateConfig({ url: 'ftp://x', timeoutMs: 10 }, WebhookConfigSchema)).toThrow(
      /url[\s\S]*timeoutMs|timeoutMs[\s\S]*url/,
    );
  });
});
