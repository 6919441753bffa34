import { IdbridgeError } from '../../core/errors.js';

/**
 * The user lifecycle (nodes.md): `unverified → pending_identification →
 * identified | not_identified`; on notices `identified → suspended →
 * identified | deauthorized`; legacy users `legacy → identified | suspended`.
 * Only `identified` may send messages (R6, R12).
 */
export type UserState =
  | 'unverified'
  | 'pending_identification'
  | 'identified'
  | 'not_identified'
  | 'suspended'
  | 'deauthorized'
  | 'legacy'
  | 'deleted';

const ALLOWED: Record<UserState, readonly UserState[]> = {
  // A number no operator serves is not identified without a request.
  unverified: ['pending_identification', 'not_identified', 'deleted'],
  pending_identification: ['identified', 'not_identified', 'suspended', 'deleted'],
  // Port-out (I2): re-identification at once with the new operator.
  identified: ['pending_identification', 'suspended', 'deleted'],
  not_identified: ['pending_identification', 'deleted'],
  suspended: ['pending_identification', 'deauthorized', 'deleted'],
  deauthorized: ['deleted'],
  legacy: ['identified', 'suspended', 'pending_identification', 'deleted'],
  deleted: [],
};

export function assertTransition(from: UserState, to: UserState): void {
  if (!ALLOWED[from].includes(to)) {
    throw new IdbridgeError('CONFLICT', `a user in state ${from} cannot become ${to}`, {
      causeCode: 'USER_STATE_CONFLICT',
    });
  }
}

/** R6: the one question the chat backend asks on every send. */
export function maySend(state: UserState): boolean {
  return state === 'identified';
}
