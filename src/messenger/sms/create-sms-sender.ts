import type { Clock } from '../../core/clock.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Queryable } from '../../db/port.js';
import { createDevOutboxSender } from './dev-outbox-sender.js';
import { createHttpSmsSender } from './http-sms-sender.js';
import { createSmppSender } from './smpp-sender.js';
import type { SmsConfig } from './sms-config.js';
import type { DeliveryReceiptListener, SmsSender } from './sms-sender.js';

/**
 * The sender `sms.sender` names. The SMPP client starts connecting at once,
 * so a wrong SMSC address or password shows in the log at startup rather
 * than at the first registration; the returned sender's `close()` unbinds.
 */
export function createSmsSender(
  config: Pick<SmsConfig, 'sender' | 'smpp' | 'http'>,
  deps: {
    db: Queryable;
    clock: Clock;
    ids: IdGenerator;
    log: Logger;
    onDeliveryReceipt?: DeliveryReceiptListener;
    fetch?: typeof fetch;
    timeoutSignal?: (ms: number) => AbortSignal;
  },
): SmsSender {
  switch (config.sender) {
    case 'dev':
      return createDevOutboxSender(deps);
    case 'http':
      return createHttpSmsSender(config.http, {
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.timeoutSignal ? { timeoutSignal: deps.timeoutSignal } : {}),
      });
    case 'smpp': {
      const sender = createSmppSender(config.smpp, {
        log: deps.log,
        onDeliveryReceipt: deps.onDeliveryReceipt,
      });
      sender.connect().catch((err: Error) => {
        deps.log.error({ err: err.message }, 'SMPP: first bind failed; retrying in the background');
      });
      return sender;
    }
  }
}
