import type { Database } from '../../db/port.js';
import { lockChallengeForVerification, recordAttempt } from './sms-challenge-store.js';
import { assertNumberAndPurpose, type SmsCodeDeps, UUID } from './sms-code-deps.js';
import { SmsError } from './sms-error.js';

export interface VerifyCodeInput {
  msisdn: string;
  purpose: string;
  code: string;
  /** Pins the check to one challenge; otherwise the number's latest for this purpose. */
  challengeId?: string | undefined;
}

export interface VerifiedCode {
  challengeId: string;
  purpose: string;
  callerId: string;
  verifiedAt: Date;
}

type VerifyOutcome = { ok: true; verified: VerifiedCode } | { ok: false; error: SmsError };

/**
 * Checks a code. Succeeds once per challenge; every wrong code counts, and
 * the code locks after `maxAttempts` wrong ones (even the right code is
 * refused then: a new one must be requested).
 *
 * Concurrency: the challenge row is locked (FOR UPDATE) for the check and
 * the update, so of racing verifications of one code exactly one succeeds
 * and every attempt is counted, on any number of instances.
 */
export async function verifyCode(
  db: Database,
  input: VerifyCodeInput,
  deps: Pick<SmsCodeDeps, 'clock' | 'hasher'>,
): Promise<VerifiedCode> {
  assertNumberAndPurpose(input.msisdn, input.purpose);
  if (input.challengeId !== undefined && !UUID.test(input.challengeId)) {
    throw new SmsError('challenge_not_found', 'no such code challenge for this number');
  }
  if (!/^\d{4,10}$/.test(input.code)) {
    // Not counted as an attempt: it cannot be any code we sent.
    throw new SmsError('invalid_code_format', 'the code is a string of digits');
  }
  const msisdnHash = deps.hasher.hashMsisdn(input.msisdn);
  // The outcome is returned, not thrown, so that the attempt is committed.
  const outcome = await db.transaction(async (tx): Promise<VerifyOutcome> => {
    const now = deps.clock.now();
    const challenge = await lockChallengeForVerification(
      tx,
      msisdnHash,
      input.purpose,
      input.challengeId,
    );
    const refuse = (error: SmsError): VerifyOutcome => ({ ok: false, error });
    if (!challenge) {
      return refuse(new SmsError('challenge_not_found', 'no code was sent to this number'));
    }
    switch (challenge.status) {
      case 'consumed':
        return refuse(new SmsError('code_already_used', 'this code was already used'));
      case 'locked':
        return refuse(
          new SmsError('code_locked', 'too many wrong codes; request a new code', {
            attemptsLeft: 0,
          }),
        );
      case 'superseded':
        return refuse(new SmsError('code_superseded', 'a newer code was sent; use that one'));
      case 'send_failed':
        return refuse(new SmsError('challenge_not_found', 'this code was never sent'));
      case 'pending':
        break;
    }
    if (now.getTime() >= challenge.expiresAt.getTime()) {
      return refuse(new SmsError('code_expired', 'the code has expired; request a new code'));
    }
    const attempts = challenge.attempts + 1;
    if (deps.hasher.codeMatches(challenge.codeHash, challenge.id, input.code)) {
      await recordAttempt(tx, challenge.id, 'consumed', now);
      return {
        ok: true,
        verified: {
          challengeId: challenge.id,
          purpose: challenge.purpose,
          callerId: challenge.callerId,
          verifiedAt: now,
        },
      };
    }
    const attemptsLeft = Math.max(0, challenge.maxAttempts - attempts);
    await recordAttempt(tx, challenge.id, attemptsLeft === 0 ? 'locked' : 'pending', now);
    return refuse(
      new SmsError(
        'code_mismatch',
        attemptsLeft === 0
          ? 'wrong code; no attempts left, request a new code'
          : `wrong code; ${attemptsLeft} attempt(s) left`,
        { attemptsLeft },
      ),
    );
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.verified;
}
