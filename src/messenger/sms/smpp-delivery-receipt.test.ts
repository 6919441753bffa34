import { describe, expect, it } from 'vitest';
import { parseDeliveryReceipt } from './smpp-delivery-receipt.js';

describe('parseDeliveryReceipt', () => {
  it('reads id, state and error from the receipt text', () => {
    const receipt = parseDeliveryReceipt({
      esm_class: 0x04,
      short_message: {
        message:
          'id:7f3a01 sub:001 dlvr:000 submit date:2611280900 done date:2611280901 stat:UNDELIV err:011 text:Your code',
      },
    });
    expect(receipt).toEqual({
      messageId: '7f3a01',
      status: 'UNDELIV',
      delivered: false,
      errorCode: '011',
    });
  });

  it('prefers the receipted_message_id and message_state TLVs', () => {
    const receipt = parseDeliveryReceipt({
      esm_class: 0x04,
      short_message: { message: 'id:wrong stat:UNKNOWN err:000' },
      receipted_message_id: 'abc',
      message_state: 2,
    });
    expect(receipt).toEqual({
      messageId: 'abc',
      status: 'DELIVRD',
      delivered: true,
      errorCode: undefined,
    });
  });

  it('ignores a deliver_sm that is a message from a phone, not a receipt', () => {
    expect(
      parseDeliveryReceipt({ esm_class: 0, short_message: { message: 'id:1 stat:DELIVRD' } }),
    ).toBeUndefined();
  });
});
