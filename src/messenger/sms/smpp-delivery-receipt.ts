import type { DeliveryReceipt } from './sms-sender.js';

/**
 * Reads a delivery receipt from a deliver_sm PDU (SMPP 3.4 §5.2.12 esm_class
 * bit 2; text layout of Appendix B: `id:… sub:… dlvr:… submit date:… done
 * date:… stat:DELIVRD err:000 text:…`). The receipted_message_id and
 * message_state TLVs win over the text when the SMSC sends them.
 * Returns undefined for a deliver_sm that is not a receipt (a mobile-originated SMS).
 */
const MC_DELIVERY_RECEIPT = 0x04;

/** SMPP 3.4 §5.2.28 message_state values. */
const MESSAGE_STATES: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

export function parseDeliveryReceipt(pdu: Record<string, unknown>): DeliveryReceipt | undefined {
  const esmClass = typeof pdu.esm_class === 'number' ? pdu.esm_class : 0;
  if ((esmClass & 0x3c) !== MC_DELIVERY_RECEIPT) return undefined;
  const text = receiptText(pdu.short_message) ?? receiptText(pdu.message_payload) ?? '';
  const field = (name: string) =>
    new RegExp(`(?:^|\\s)${name}:(\\S*)`, 'i').exec(text)?.[1] || undefined;

  const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : undefined;
  const tlvState =
    typeof pdu.message_state === 'number' ? MESSAGE_STATES[pdu.message_state] : undefined;
  const messageId = tlvId || field('id');
  const status = (tlvState ?? field('stat') ?? 'UNKNOWN').toUpperCase();
  if (!messageId) return undefined;
  const err = field('err');
  return {
    messageId,
    status,
    delivered: status === 'DELIVRD',
    errorCode: err && !/^0+$/.test(err) ? err : undefined,
  };
}

function receiptText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message;
    if (Buffer.isBuffer(message)) return message.toString('latin1');
  }
  return undefined;
}
