import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { SmsCodeGenerator } from './sms-code-generator.js';
import type { SmsConfig } from './sms-config.js';
import { SmsError } from './sms-error.js';
import type { SmsHasher } from './sms-hasher.js';
import type { SmsSender } from './sms-sender.js';

/**
 * R2: the possession check. A code is sent to the number; the user proves
 * control of the number by entering it. Codes are random, stored only as
 * keyed hashes, expire, allow a few attempts, and sends are limited per
 * number and per API client — all in the database, so the limits hold
 * across every instance of the node.
 */

export type SmsLimits = Pick<
  SmsConfig,
  | 'messageTemplate'
  | 'codeLength'
  | 'codeTtlSeconds'
  | 'maxAttempts'
  | 'resendIntervalSeconds'
  | 'sendsPerNumber'
  | 'registrationsPerNumber'
  | 'sendsPerCaller'
>;

export interface SmsCodeDeps {
  clock: Clock;
  ids: IdGenerator;
  hasher: SmsHasher;
  sender: SmsSender;
  generateCode: SmsCodeGenerator;
  limits: SmsLimits;
  log: Logger;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const PURPOSE = /^[a-z][a-z0-9_]{0,31}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertNumberAndPurpose(msisdn: string, purpose: string): void {
  if (!E164.test(msisdn)) {
    throw new SmsError('invalid_number', 'the number must be in E.164 form, e.g. +79161234567');
  }
  if (!PURPOSE.test(purpose)) {
    throw new SmsError('invalid_purpose', 'purpose must match [a-z][a-z0-9_]{0,31}');
  }
}
