/**
 * The messenger's SMS possession check (R2): codes, limits and senders.
 * Everything another module needs is exported here.
 */
export { createSmsSender } from './create-sms-sender.js';
export {
  createDevOutboxSender,
  type DevOutboxMessage,
  listDevOutbox,
} from './dev-outbox-sender.js';
export { createHttpSmsSender } from './http-sms-sender.js';
export { type IssueCodeInput, type IssuedCode, issueCode } from './issue-sms-code.js';
export { purgeSmsState } from './purge-sms-state.js';
export { createSmppSender, type SmppSender, type SmppState } from './smpp-sender.js';
export type { SmsCodeDeps, SmsLimits } from './sms-code-deps.js';
export { randomSmsCode, type SmsCodeGenerator } from './sms-code-generator.js';
export { type SmsConfig, SmsConfigSchema } from './sms-config.js';
export { isSmsError, SmsError, type SmsRefusalReason } from './sms-error.js';
export { createSmsHasher, type SmsHasher } from './sms-hasher.js';
export type {
  DeliveryReceipt,
  DeliveryReceiptListener,
  SmsMessage,
  SmsSender,
} from './sms-sender.js';
export { type VerifiedCode, type VerifyCodeInput, verifyCode } from './verify-sms-code.js';
