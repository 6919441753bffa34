import { type ErrorCode, IdbridgeError } from '../../core/errors.js';

/**
 * Why an SMS code request or check was refused. Stable, machine-readable:
 * the app shows its own text for each. The app API sends it upper-cased as
 * the body's `code` (`CODE_EXPIRED`, listed in ../http/app-error-codes.ts).
 */
export type SmsRefusalReason =
  | 'invalid_number'
  | 'invalid_purpose'
  | 'invalid_code_format'
  | 'challenge_not_found'
  | 'code_mismatch'
  | 'code_expired'
  | 'code_locked'
  | 'code_already_used'
  | 'code_superseded'
  | 'resend_too_soon'
  | 'number_send_limit'
  | 'number_registration_limit'
  | 'caller_send_limit'
  | 'sms_send_failed';

/** The generic code, and so the HTTP status, of each reason; the app API sends the reason itself as `code`. */
export const SMS_REASON_ERROR_CODE: Record<SmsRefusalReason, ErrorCode> = {
  invalid_number: 'INVALID_ARGUMENT',
  invalid_purpose: 'INVALID_ARGUMENT',
  invalid_code_format: 'INVALID_ARGUMENT',
  challenge_not_found: 'NOT_FOUND',
  code_mismatch: 'INVALID_ARGUMENT',
  code_expired: 'INVALID_ARGUMENT',
  code_locked: 'PERMISSION_DENIED',
  code_already_used: 'CONFLICT',
  code_superseded: 'INVALID_ARGUMENT',
  resend_too_soon: 'TOO_MANY_REQUESTS',
  number_send_limit: 'TOO_MANY_REQUESTS',
  number_registration_limit: 'TOO_MANY_REQUESTS',
  caller_send_limit: 'TOO_MANY_REQUESTS',
  sms_send_failed: 'UNAVAILABLE',
};

export class SmsError extends IdbridgeError {
  readonly reason: SmsRefusalReason;
  /** For a wrong code: how many more tries this code allows (0: it is now locked). */
  readonly attemptsLeft: number | undefined;

  constructor(
    reason: SmsRefusalReason,
    detail: string,
    options: { retryAfterSeconds?: number; attemptsLeft?: number; cause?: unknown } = {},
  ) {
    super(SMS_REASON_ERROR_CODE[reason], detail, { ...options, causeCode: reason.toUpperCase() });
    this.name = 'SmsError';
    this.reason = reason;
    this.attemptsLeft = options.attemptsLeft;
  }
}

export function isSmsError(err: unknown): err is SmsError {
  return err instanceof SmsError;
}
