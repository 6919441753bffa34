import { afterEach, beforeEach, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { migrate } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/port.js';
import { createPostgresDatabase } from '../../src/db/postgres-driver.js';
import { issueCode } from '../../src/messenger/sms/issue-sms-code.js';
import { purgeSmsState } from '../../src/messenger/sms/purge-sms-state.js';
import { createFixedSmsCodes } from '../../src/messenger/sms/sms-code-generator.js';
import { verifyCode } from '../../src/messenger/sms/verify-sms-code.js';
import { createTestDatabase, describeEachDriver } from '../helpers/test-database.js';
import { createSmsKit } from './sms-test-kit.js';

const NUMBER = '+79161234567';
const OTHER_NUMBER = '+79031112233';
const request = { msisdn: NUMBER, callerId: 'app-backend', purpose: 'registration' };

describeEachDriver('SMS codes (R2)', (kind) => {
  let db: Database;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    await migrate(db, ['messenger']);
  });
  afterEach(() => db.close());

  it('sends a code that verifies once and is then consumed', async () => {
    const kit = createSmsKit();
    const issued = await issueCode(db, request, kit.deps);
    expect(issued.expiresAt).toEqual(new Date('2026-11-28T09:05:00Z'));
    expect(issued.resendAvailableAt).toEqual(new Date('2026-11-28T09:01:00Z'));
    expect(kit.sender.sent).toHaveLength(1);
    expect(kit.sender.sent[0]).toMatchObject({ to: NUMBER, reference: issued.challengeId });
    expect(kit.sender.sent[0]?.text).toMatch(/^Your code: \d{6}$/);

    const code = kit.lastCode();
    const verified = await verifyCode(
      db,
      { msisdn: NUMBER, purpose: 'registration', code },
      kit.deps,
    );
    expect(verified).toMatchObject({ challengeId: issued.challengeId, callerId: 'app-backend' });

    await expect(
      verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code }, kit.deps),
    ).rejects.toMatchObject({ code: 'CONFLICT', reason: 'code_already_used' });
  });

  it('verifies only for the number and purpose the code was sent for', async () => {
    const kit = createSmsKit();
    const issued = await issueCode(db, request, kit.deps);
    const code = kit.lastCode();
    await expect(
      verifyCode(db, { msisdn: OTHER_NUMBER, purpose: 'registration', code }, kit.deps),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', reason: 'challenge_not_found' });
    await expect(
      verifyCode(
        db,
        { msisdn: OTHER_NUMBER, purpose: 'registration', code, challengeId: issued.challengeId },
        kit.deps,
      ),
    ).rejects.toMatchObject({ reason: 'challenge_not_found' });
    await expect(
      verifyCode(db, { msisdn: NUMBER, purpose: 'number_change', code }, kit.deps),
    ).rejects.toMatchObject({ reason: 'challenge_not_found' });
    const verified = await verifyCode(
      db,
      { msisdn: NUMBER, purpose: 'registration', code, challengeId: issued.challengeId },
      kit.deps,
    );
    expect(verified.challengeId).toBe(issued.challengeId);
  });

  it('stores keyed hashes, never the code or the number', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('482913') });
    await issueCode(db, request, kit.deps);
    const tables = ['sms_challenges', 'sms_number_throttle', 'sms_rate_counters'];
    for (const table of tables) {
      const { rows } = await db.query(`SELECT * FROM ${table}`);
      expect(rows.length).toBeGreaterThan(0);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain('9161234567');
      expect(dump).not.toContain('482913');
    }
    const { rows } = await db.query<{ code_hash: string }>('SELECT code_hash FROM sms_challenges');
    expect(rows[0]?.code_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('locks the code after five wrong attempts, refusing even the right code', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('111111') });
    await issueCode(db, request, kit.deps);
    const attempt = (code: string) =>
      verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code }, kit.deps);
    for (const left of [4, 3, 2, 1, 0]) {
      await expect(attempt('222222')).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        reason: 'code_mismatch',
        attemptsLeft: left,
      });
    }
    await expect(attempt('111111')).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      reason: 'code_locked',
      causeCode: 'CODE_LOCKED',
      message: expect.stringMatching(/request a new code/),
    });
  });

  it('does not count a malformed code as an attempt', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('111111') });
    await issueCode(db, request, kit.deps);
    for (let i = 0; i < 6; i++) {
      await expect(
        verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code: '12ab' }, kit.deps),
      ).rejects.toMatchObject({ reason: 'invalid_code_format' });
    }
    await verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code: '111111' }, kit.deps);
  });

  it('refuses a code once its five minutes are over', async () => {
    const kit = createSmsKit();
    await issueCode(db, request, kit.deps);
    const code = kit.lastCode();
    kit.clock.advance(5 * MINUTE_MS);
    await expect(
      verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code }, kit.deps),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'code_expired' });
  });

  it('accepts a code just before it expires', async () => {
    const kit = createSmsKit();
    await issueCode(db, request, kit.deps);
    kit.clock.advance(5 * MINUTE_MS - 1000);
    const code = kit.lastCode();
    await verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code }, kit.deps);
  });

  it('throttles a resend to the same number until the interval has passed', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('111111', '222222') });
    const first = await issueCode(db, request, kit.deps);
    kit.clock.advance(20_000);
    await expect(issueCode(db, request, kit.deps)).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'resend_too_soon',
      retryAfterSeconds: 40,
    });
    expect(kit.sender.sent).toHaveLength(1);

    kit.clock.advance(40_000);
    const second = await issueCode(db, request, kit.deps);
    expect(kit.sender.sent).toHaveLength(2);
    // The resend supersedes the first code.
    await expect(
      verifyCode(
        db,
        { msisdn: NUMBER, purpose: 'registration', code: '111111', challengeId: first.challengeId },
        kit.deps,
      ),
    ).rejects.toMatchObject({ reason: 'code_superseded' });
    const verified = await verifyCode(
      db,
      { msisdn: NUMBER, purpose: 'registration', code: '222222' },
      kit.deps,
    );
    expect(verified.challengeId).toBe(second.challengeId);
  });

  it('limits the codes sent to one number per window', async () => {
    const kit = createSmsKit({ limits: { sendsPerNumber: { max: 3, windowSeconds: 3600 } } });
    for (let i = 0; i < 3; i++) {
      await issueCode(db, request, kit.deps);
      kit.clock.advance(MINUTE_MS);
    }
    // 09:03 now; the window ends at 10:00.
    await expect(issueCode(db, request, kit.deps)).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'number_send_limit',
      retryAfterSeconds: 57 * 60,
    });
    // Another number is not affected.
    await issueCode(db, { ...request, msisdn: OTHER_NUMBER }, kit.deps);
    kit.clock.set('2026-11-28T10:00:00Z');
    await issueCode(db, request, kit.deps);
    expect(kit.sender.sent).toHaveLength(5);
  });

  it('limits registrations per number, counting a resend of a live code as the same one', async () => {
    const kit = createSmsKit({
      limits: { registrationsPerNumber: { max: 2, windowSeconds: 86_400 } },
    });
    await issueCode(db, request, kit.deps);
    kit.clock.advance(MINUTE_MS);
    await issueCode(db, request, kit.deps); // resend: same registration
    await verifyCode(
      db,
      { msisdn: NUMBER, purpose: 'registration', code: kit.lastCode() },
      kit.deps,
    );
    kit.clock.advance(MINUTE_MS);
    await issueCode(db, request, kit.deps); // second registration
    kit.clock.advance(10 * MINUTE_MS); // that code expired unused
    await expect(issueCode(db, request, kit.deps)).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'number_registration_limit',
    });
    kit.clock.set('2026-11-29T00:00:00Z');
    await issueCode(db, request, kit.deps);
  });

  it('limits the codes one API client may have sent, without touching other clients', async () => {
    const kit = createSmsKit({ limits: { sendsPerCaller: { max: 2, windowSeconds: 3600 } } });
    await issueCode(db, { ...request, msisdn: '+79160000001' }, kit.deps);
    await issueCode(db, { ...request, msisdn: '+79160000002' }, kit.deps);
    await expect(issueCode(db, { ...request, msisdn: NUMBER }, kit.deps)).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      reason: 'caller_send_limit',
      retryAfterSeconds: 3600,
    });
    // The refusal counted nothing against the number: another client may send to it at once.
    await issueCode(db, { ...request, msisdn: NUMBER, callerId: 'other-backend' }, kit.deps);
    expect(kit.sender.sent.map((m) => m.to)).toEqual(['+79160000001', '+79160000002', NUMBER]);
  });

  it('burns the code and frees the number for a retry when the SMS cannot be sent', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('111111', '222222') });
    kit.sender.failNext = true;
    await expect(issueCode(db, request, kit.deps)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      reason: 'sms_send_failed',
    });
    await expect(
      verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code: '111111' }, kit.deps),
    ).rejects.toMatchObject({ reason: 'challenge_not_found' });
    await issueCode(db, request, kit.deps);
    await verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code: '222222' }, kit.deps);
    // The failure was logged without the number or the code.
    const log = kit.logLines.join('\n');
    expect(log).toContain('SMS code could not be sent');
    expect(log).not.toContain('9161234567');
    expect(log).not.toContain('111111');
  });

  it('refuses a number that is not in E.164 form', async () => {
    const kit = createSmsKit();
    await expect(
      issueCode(db, { ...request, msisdn: '89161234567' }, kit.deps),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'invalid_number' });
    expect(kit.sender.sent).toHaveLength(0);
  });

  it('lets exactly one of many racing verifications of one code succeed', async () => {
    const kit = createSmsKit();
    await issueCode(db, request, kit.deps);
    const code = kit.lastCode();
    // On PostgreSQL, half the attempts come from a second instance with its own pool.
    const otherDb =
      kind === 'postgres'
        ? createPostgresDatabase({ url: process.env.DATABASE_URL as string, schema: db.schema })
        : db;
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          verifyCode(
            i % 2 ? otherDb : db,
            { msisdn: NUMBER, purpose: 'registration', code },
            kit.deps,
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected')
          expect(r.reason).toMatchObject({ reason: 'code_already_used' });
      }
    } finally {
      if (otherDb !== db) await otherDb.close();
    }
  });

  it('counts every one of many racing wrong guesses', async () => {
    const kit = createSmsKit({ generateCode: createFixedSmsCodes('111111') });
    await issueCode(db, request, kit.deps);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        verifyCode(db, { msisdn: NUMBER, purpose: 'registration', code: '999999' }, kit.deps),
      ),
    );
    const reasons = results.map((r) => (r.status === 'rejected' ? r.reason.reason : 'ok'));
    expect(reasons.filter((r) => r === 'code_mismatch')).toHaveLength(5);
    expect(reasons.filter((r) => r === 'code_locked')).toHaveLength(3);
  });

  it('sends only one code when many requests for one number race', async () => {
    const kit = createSmsKit();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => issueCode(db, request, kit.deps)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ reason: 'resend_too_soon' });
    }
    expect(kit.sender.sent).toHaveLength(1);
  });

  it('forgets expired challenges and closed windows (R11)', async () => {
    const kit = createSmsKit();
    await issueCode(db, request, kit.deps);
    expect(await purgeSmsState(db, kit.deps)).toBe(0);
    kit.clock.advance(2 * 86_400_000);
    expect(await purgeSmsState(db, kit.deps)).toBeGreaterThanOrEqual(3);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM sms_challenges');
    expect(rows[0]).toEqual({ n: 0 });
  });
});
