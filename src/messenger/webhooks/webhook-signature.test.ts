import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
} from './webhook-signature.js';

// The vector published with the Standard Webhooks reference libraries
// (libraries/javascript/src/webhook.test.ts, "sign function works").
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: new Date(1614265330 * 1000),
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT = new Date(SPEC.timestamp.getTime() + 100_000);

describe('Standard Webhooks signing', () => {
  it('produces the reference signature and headers of the spec vector', () => {
    expect(signWebhook(SPEC)).toEqual({
      'webhook-id': SPEC.id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': SPEC.signature,
    });
  });

  it('accepts the secret with or without the whsec_ prefix', () => {
    const bare = signWebhook({ ...SPEC, secret: SPEC.secret.slice('whsec_'.length) });
    expect(bare['webhook-signature']).toBe(SPEC.signature);
  });

  it('signs the attempt time in whole seconds', () => {
    const headers = signWebhook({ ...SPEC, timestamp: new Date(1614265330_999) });
    expect(headers['webhook-timestamp']).toBe('1614265330');
    expect(headers['webhook-signature']).toBe(SPEC.signature);
  });

  it('refuses ids containing a full stop and secrets that are short or not base64', () => {
    expect(() => signWebhook({ ...SPEC, id: 'msg.1' })).toThrow(/id/);
    expect(() => parseWebhookSecret('whsec_c2hvcnQ=')).toThrow(/24/);
    expect(() => parseWebhookSecret('whsec_not base64!')).toThrow(/base64/);
    const fresh = generateWebhookSecret();
    expect(fresh).toMatch(/^whsec_/);
    expect(parseWebhookSecret(fresh)).toHaveLength(32);
  });
});

describe('Standard Webhooks verification', () => {
  const headers = {
    'webhook-id': SPEC.id,
    'webhook-timestamp': '1614265330',
    'webhook-signature': SPEC.signature,
  };
  const verify = (overrides: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({ secret: SPEC.secret, headers, body: SPEC.body, now: AT, ...overrides });

  it('accepts the spec vector and returns id, time and parsed body', () => {
    expect(verify()).toEqual({
      ok: true,
      id: SPEC.id,
      timestamp: SPEC.timestamp,
      payload: { test: 2432232314 },
    });
  });

  it('reads fetch Headers and header names in any case', () => {
    expect(verify({ headers: new Headers(headers) }).ok).toBe(true);
    const upper = {
      'Webhook-Id': SPEC.id,
      'Webhook-Timestamp': '1614265330',
      'Webhook-Signature': SPEC.signature,
    };
    expect(verify({ headers: upper }).ok).toBe(true);
  });

  it('accepts a list of signatures when one of them matches (secret rotation)', () => {
    const list = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,AAAA ${SPEC.signature}`;
    expect(verify({ headers: { ...headers, 'webhook-signature': list } }).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    expect(verify({ body: '{"test": 2432232315}' })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a changed timestamp even inside the tolerance', () => {
    const moved = { ...headers, 'webhook-timestamp': '1614265331' };
    expect(verify({ headers: moved })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a timestamp older or newer than the tolerance (replays)', () => {
    const sent = SPEC.timestamp.getTime();
    expect(verify({ now: new Date(sent + 300_000) }).ok).toBe(true);
    expect(verify({ now: new Date(sent + 301_000) })).toEqual({
      ok: false,
      reason: 'timestamp_too_old',
    });
    expect(verify({ now: new Date(sent - 301_000) })).toEqual({
      ok: false,
      reason: 'timestamp_too_new',
    });
    expect(verify({ now: new Date(sent + 3_600_000), toleranceSeconds: 3_600 }).ok).toBe(true);
  });

  it('rejects another secret, a truncated or unversioned signature and missing headers', () => {
    expect(verify({ secret: generateWebhookSecret() }).ok).toBe(false);
    const sig = (value: string) => ({ headers: { ...headers, 'webhook-signature': value } });
    expect(verify(sig('v1,')).ok).toBe(false);
    expect(verify(sig(SPEC.signature.slice(0, 20))).ok).toBe(false);
    expect(verify(sig(SPEC.signature.slice(3))).ok).toBe(false);
    expect(verify(sig(SPEC.signature.replace('v1,', 'v2,'))).ok).toBe(false);
    const { 'webhook-id': _omitted, ...noId } = headers;
    expect(verify({ headers: noId })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify({ headers: { ...headers, 'webhook-timestamp': 'soon' } })).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
  });

  it('round-trips what signWebhook produced for a UTF-8 body', () => {
    const body = JSON.stringify({ cause: 'подтверждён оператором' });
    const signed = signWebhook({ ...SPEC, body, timestamp: AT });
    expect(verifyWebhook({ secret: SPEC.secret, headers: signed, body, now: AT })).toMatchObject({
      ok: true,
      payload: { cause: 'подтверждён оператором' },
    });
  });
});
