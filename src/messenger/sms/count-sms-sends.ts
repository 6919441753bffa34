import type { Counter } from 'prom-client';
import type { SmsSender } from './sms-sender.js';

/** The sender, with each send counted by outcome. */
export function countSmsSends(sender: SmsSender, sends: Counter<'outcome'>): SmsSender {
  return {
    async send(message) {
      try {
        const sent = await sender.send(message);
        sends.inc({ outcome: 'sent' });
        return sent;
      } catch (err) {
        sends.inc({ outcome: 'failed' });
        throw err;
      }
    },
    close: () => sender.close(),
  };
}
