/**
 * Anything that can deliver an SMS: the development outbox, an SMPP 3.4
 * SMSC, an HTTP provider. `reference` is our id for the message (the
 * challenge id); `messageId` is the carrier's, for matching delivery receipts.
 * A failed send rejects (with an IdbridgeError where the cause is known).
 */
export interface SmsMessage {
  /** E.164. */
  to: string;
  text: string;
  reference: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<{ messageId: string }>;
  /** Releases connections; sends after close fail. */
  close(): Promise<void>;
}

/** A delivery report from the carrier, matched to a send by `messageId`. */
export interface DeliveryReceipt {
  messageId: string;
  /** SMPP message state name: DELIVRD, EXPIRED, UNDELIV, REJECTD, … */
  status: string;
  delivered: boolean;
  errorCode?: string | undefined;
}

export type DeliveryReceiptListener = (receipt: DeliveryReceipt) => void;
