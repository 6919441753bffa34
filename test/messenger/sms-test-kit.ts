import { createManualClock, type ManualClock } from '../../src/core/clock.js';
import { createSequentialIds } from '../../src/core/ids.js';
import { createLogger } from '../../src/core/logger.js';
import { validateConfig } from '../../src/core/validate-config.js';
import type { SmsCodeDeps, SmsLimits } from '../../src/messenger/sms/sms-code-deps.js';
import {
  randomSmsCode,
  type SmsCodeGenerator,
} from '../../src/messenger/sms/sms-code-generator.js';
import { SmsConfigSchema } from '../../src/messenger/sms/sms-config.js';
import { createSmsHasher } from '../../src/messenger/sms/sms-hasher.js';
import type { SmsMessage, SmsSender } from '../../src/messenger/sms/sms-sender.js';

export const TEST_SMS_SECRET = 'test-secret-test-secret-test-secret-0123';

/** A sender that records what it was asked to send, or fails when told to. */
export interface RecordingSender extends SmsSender {
  sent: SmsMessage[];
  failNext: boolean;
}

export function createRecordingSender(): RecordingSender {
  const sender: RecordingSender = {
    sent: [],
    failNext: false,
    async send(message) {
      if (sender.failNext) {
        sender.failNext = false;
        throw new Error('SMSC unreachable');
      }
      sender.sent.push(message);
      return { messageId: `msg-${sender.sent.length}` };
    },
    close: async () => {},
  };
  return sender;
}

export interface SmsKit {
  clock: ManualClock;
  sender: RecordingSender;
  deps: SmsCodeDeps;
  logLines: string[];
  /** The code in the last SMS sent. */
  lastCode(): string;
}

export function createSmsKit(
  options: { limits?: Partial<SmsLimits>; generateCode?: SmsCodeGenerator } = {},
): SmsKit {
  // The hour starts on the clock's start, so fixed windows begin there.
  const clock = createManualClock('2026-11-28T09:00:00Z');
  const sender = createRecordingSender();
  const logLines: string[] = [];
  const defaults = validateConfig({}, SmsConfigSchema);
  const limits: SmsLimits = { ...defaults, ...options.limits };
  return {
    clock,
    sender,
    logLines,
    deps: {
      clock,
      ids: createSequentialIds(),
      hasher: createSmsHasher(TEST_SMS_SECRET),
      sender,
      generateCode: options.generateCode ?? randomSmsCode,
      limits,
      log: createLogger({ level: 'debug', destination: { write: (s) => logLines.push(s) } }),
    },
    lastCode() {
      const text = sender.sent.at(-1)?.text ?? '';
      const code = /\d{4,10}/.exec(text)?.[0];
      if (!code) throw new Error('no code sent yet');
      return code;
    },
  };
}
