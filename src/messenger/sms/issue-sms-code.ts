import type { Database } from '../../db/port.js';
import {
  insertChallenge,
  markChallengeSendFailed,
  markChallengeSent,
  supersedePendingChallenge,
} from './sms-challenge-store.js';
import { assertNumberAndPurpose, type SmsCodeDeps } from './sms-code-deps.js';
import { SmsError } from './sms-error.js';
import { renderSmsText } from './sms-message-text.js';
import {
  claimSendSlot,
  releaseSendSlot,
  type SlotResult,
  takeWindowSlot,
} from './sms-rate-limit-store.js';

export interface IssueCodeInput {
  /** E.164, e.g. +79161234567. */
  msisdn: string;
  /** The API client asking (for the per-caller limit). */
  callerId: string;
  /** What the code is for, e.g. `registration`; a code only verifies for its purpose. */
  purpose: string;
}

export interface IssuedCode {
  challengeId: string;
  expiresAt: Date;
  /** The earliest time another code may be sent to this number. */
  resendAvailableAt: Date;
  attemptsAllowed: number;
}

function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

function refuseUnless(slot: SlotResult, now: Date, refuse: (retryAfter: number) => SmsError) {
  if (!slot.ok) throw refuse(secondsUntil(slot.retryAt, now));
}

/**
 * Sends a fresh code to the number, superseding any pending one for the same
 * purpose. Refused with TOO_MANY_REQUESTS (and `retryAfterSeconds`) when the
 * resend interval or a window limit is reached; refused limits count nothing.
 *
 * Concurrency: the limits and the new challenge are written in one
 * transaction that locks the number's throttle row first, so racing issues
 * for one number run one after another, on any number of instances; the SMS
 * is sent after commit. If sending fails the code is burned, the resend
 * interval released (the user may retry at once) and UNAVAILABLE thrown;
 * the window counters keep the attempt, so a failing provider cannot be
 * hammered through this path.
 */
export async function issueCode(
  db: Database,
  input: IssueCodeInput,
  deps: SmsCodeDeps,
): Promise<IssuedCode> {
  assertNumberAndPurpose(input.msisdn, input.purpose);
  const { limits, clock, hasher } = deps;
  const now = clock.now();
  const msisdnHash = hasher.hashMsisdn(input.msisdn);
  const challengeId = deps.ids();
  const expiresAt = new Date(now.getTime() + limits.codeTtlSeconds * 1000);

  const code = await db.transaction(async (tx) => {
    // Lock order: number rows first, the caller's counter last (see the store).
    const interval = await claimSendSlot(tx, msisdnHash, now, limits.resendIntervalSeconds);
    refuseUnless(interval, now, (retryAfterSeconds) => {
      return new SmsError('resend_too_soon', 'a code was sent to this number moments ago', {
        retryAfterSeconds,
      });
    });
    const perNumber = await takeWindowSlot(
      tx,
      { scope: 'number_sends', subject: msisdnHash, ...limits.sendsPerNumber },
      now,
    );
    refuseUnless(perNumber, now, (retryAfterSeconds) => {
      return new SmsError('number_send_limit', 'too many codes sent to this number', {
        retryAfterSeconds,
      });
    });
    const { hadLiveChallenge } = await supersedePendingChallenge(
      tx,
      msisdnHash,
      input.purpose,
      now,
    );
    if (!hadLiveChallenge) {
      const registrations = await takeWindowSlot(
        tx,
        { scope: 'number_registrations', subject: msisdnHash, ...limits.registrationsPerNumber },
        now,
      );
      refuseUnless(registrations, now, (retryAfterSeconds) => {
        return new SmsError('number_registration_limit', 'too many registrations for this number', {
          retryAfterSeconds,
        });
      });
    }
    const perCaller = await takeWindowSlot(
      tx,
      { scope: 'caller_sends', subject: input.callerId, ...limits.sendsPerCaller },
      now,
    );
    refuseUnless(perCaller, now, (retryAfterSeconds) => {
      return new SmsError('caller_send_limit', 'this API client has sent too many codes', {
        retryAfterSeconds,
      });
    });
    const fresh = deps.generateCode(limits.codeLength);
    await insertChallenge(tx, {
      id: challengeId,
      msisdnHash,
      purpose: input.purpose,
      callerId: input.callerId,
      codeHash: hasher.hashCode(challengeId, fresh),
      maxAttempts: limits.maxAttempts,
      createdAt: now,
      expiresAt,
    });
    return fresh;
  });

  // After commit: an SMS is never sent for a challenge that was rolled back.
  let messageId: string;
  try {
    ({ messageId } = await deps.sender.send({
      to: input.msisdn,
      text: renderSmsText(limits.messageTemplate, code),
      reference: challengeId,
    }));
  } catch (err) {
    await markChallengeSendFailed(db, challengeId, clock.now());
    await releaseSendSlot(db, msisdnHash, now);
    // Neither the number nor the code goes to the log; the challenge id is enough.
    deps.log.warn({ challengeId, err: (err as Error).message }, 'SMS code could not be sent');
    throw new SmsError('sms_send_failed', 'the SMS could not be sent; try again', { cause: err });
  }
  // Kept to match the carrier's delivery receipts to the challenge.
  await markChallengeSent(db, challengeId, messageId);
  return {
    challengeId,
    expiresAt,
    resendAvailableAt: new Date(now.getTime() + limits.resendIntervalSeconds * 1000),
    attemptsAllowed: limits.maxAttempts,
  };
}
