import { IdbridgeError } from '../../core/errors.js';

/**
 * Every refusal of a signed message is UNAUTHENTICATED (protocol.md §1:
 * "bad/missing/expired signature, replay"), with a message that says which
 * check failed so the sending operator or messenger can fix its side.
 */
export function signatureRejected(reason: string): IdbridgeError {
  return new IdbridgeError('UNAUTHENTICATED', `HTTP message signature rejected: ${reason}`);
}

/**
 * A covered component that cannot be produced from the message. The verifier
 * turns it into UNAUTHENTICATED; the signer into INTERNAL (a bug in the
 * caller, e.g. a body without content-type).
 */
export class ComponentError extends Error {
  override readonly name = 'ComponentError';
}
