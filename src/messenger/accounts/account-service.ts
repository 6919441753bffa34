import type { Clock } from '../../core/clock.js';
import { IdbridgeError } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Database, Queryable } from '../../db/port.js';
import {
  type IssuedCode,
  issueCode,
  type SmsCodeDeps,
  verifyCode,
} from '../../messenger/sms/index.js';
import { enqueueOutbox } from '../../outbox/index.js';
import { normalizeMsisdn } from '../../routing/index.js';
import type { MessengerIdentifier, UserChange } from '../identification/messenger-identifier.js';
import {
  findLiveUserByNumber,
  findUser,
  insertUser,
  transitionUser,
  type User,
} from '../users/user-store.js';

export type SignInOutcome = 'registered' | 'signed_in' | 'regained' | 'reverified';

/**
 * What the app-facing API does with numbers, codes and accounts (R2, R6,
 * nodes.md "Sign-in is not registration", "Recycled numbers must not hand
 * over accounts").
 */
export function createAccountService(deps: {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  sms: SmsCodeDeps;
  identifier: MessengerIdentifier;
  onUserChanged: (tx: Queryable, change: UserChange) => Promise<void>;
  afterUserChanged: (userId: string) => void;
}) {
  const { db, clock, ids } = deps;

  /** Sends a possession code to what the person typed (normalized first). */
  async function startRegistration(
    phone: string,
    callerId: string,
  ): Promise<IssuedCode & { msisdn: string }> {
    const msisdn = normalizeMsisdn(phone);
    const issued = await issueCode(db, { msisdn, callerId, purpose: 'registration' }, deps.sms);
    return { ...issued, msisdn };
  }

  /**
   * The code was right: the number is the person's (R2). Then:
   * - the number belongs to a live identified account → a session on it, no
   *   operator call (sign-in is not registration);
   * - `userId` names a suspended account of this number → the person also
   *   holds a session of the old user, so the account is regained and
   *   re-identified;
   * - otherwise a fresh account is created and identified. A stranger with a
   *   recycled number never gets the suspended account.
   */
  async function confirmRegistration(input: {
    phone: string;
    code: string;
    challengeId?: string | undefined;
    userId?: string | undefined;
  }): Promise<{ user: User; outcome: SignInOutcome }> {
    const msisdn = normalizeMsisdn(input.phone);
    const verified = await verifyCode(
      db,
      { msisdn, purpose: 'registration', code: input.code, challengeId: input.challengeId },
      deps.sms,
    );
    const possessionVerifiedAt = verified.verifiedAt;

    const live = await findLiveUserByNumber(db, msisdn);
    if (live && live.state === 'identified') return { user: live, outcome: 'signed_in' };

    if (input.userId) {
      const own = await findUser(db, input.userId);
      if (own && own.msisdn === msisdn && own.state === 'suspended') {
        const user = await deps.identifier.identify(own.userId, {
          purpose: 'reidentification',
          previousCode: own.identificationCode ?? undefined,
          possessionVerifiedAt,
          cause: 'possession proven again by the session holder',
        });
        return { user, outcome: 'regained' };
      }
    }

    const userId =
      live?.userId ??
      (await db.transaction(async (tx) => {
        const user = await insertUser(tx, ids, {
          msisdn,
          state: 'unverified',
          cause: 'possession verified by SMS code (R2)',
          at: clock.now(),
        });
        return user.userId;
      }));
    const user = await deps.identifier.identify(userId, {
      purpose: 'registration',
      possessionVerifiedAt,
      cause: 'SMS code confirmed',
    });
    return { user, outcome: 'registered' };
  }

  /** Sends a code to the user's number, or to a new number (a number change). */
  async function startReverification(
    userId: string,
    phone: string | undefined,
    callerId: string,
  ): Promise<IssuedCode & { msisdn: string }> {
    const user = await requireUser(userId);
    const msisdn = phone === undefined ? user.msisdn : normalizeMsisdn(phone);
    const issued = await issueCode(db, { msisdn, callerId, purpose: 'reverification' }, deps.sms);
    return { ...issued, msisdn };
  }

  /**
   * The session holder proved possession again (R8): re-identify, with
   * `previousCode`, on the same or a new number.
   */
  async function confirmReverification(
    userId: string,
    input: { code: string; phone?: string | undefined; challengeId?: string | undefined },
  ): Promise<User> {
    const user = await requireUser(userId);
    const msisdn = input.phone === undefined ? user.msisdn : normalizeMsisdn(input.phone);
    const verified = await verifyCode(
      db,
      { msisdn, purpose: 'reverification', code: input.code, challengeId: input.challengeId },
      deps.sms,
    );
    if (user.state === 'deauthorized' || user.state === 'deleted' || user.state === 'unverified') {
      throw new IdbridgeError(
        'CONFLICT',
        `a ${user.state} user cannot be re-verified; register afresh`,
        { causeCode: 'USER_STATE_CONFLICT' },
      );
    }
    if (msisdn !== user.msisdn) {
      await db.transaction(async (tx) => {
        const other = await findLiveUserByNumber(tx, msisdn, { lock: true });
        if (other && other.userId !== userId) {
          throw new IdbridgeError('CONFLICT', 'the new number belongs to another account', {
            causeCode: 'NUMBER_IN_USE',
          });
        }
        await tx.query('UPDATE users SET msisdn = $2 WHERE user_id = $1', [userId, msisdn]);
      });
    }
    return deps.identifier.identify(userId, {
      purpose: 'reidentification',
      previousCode: user.identificationCode ?? undefined,
      possessionVerifiedAt: verified.verifiedAt,
      cause: msisdn === user.msisdn ? 'possession proven again' : 'number changed',
    });
  }

  /** I4: the account is deleted; its code is withdrawn at the operator through the outbox. */
  async function deleteUser(userId: string): Promise<void> {
    await db.transaction(async (tx) => {
      const user = await findUser(tx, userId, { lock: true });
      if (!user || user.state === 'deleted')
        throw new IdbridgeError('NOT_FOUND', `no user ${userId}`, { causeCode: 'USER_NOT_FOUND' });
      const now = clock.now();
      if (user.identificationCode && user.operatorId) {
        await enqueueOutbox(
          tx,
          [
            {
              kind: 'withdrawal',
              partnerId: user.operatorId,
              dedupeKey: user.identificationCode,
              payload: { identificationCode: user.identificationCode },
            },
          ],
          { now, newId: ids },
        );
      }
      const changed = await transitionUser(tx, ids, user, 'deleted', {
        cause: 'account deleted by the user',
        at: now,
        patch: { identificationCode: null },
      });
      await deps.onUserChanged(tx, { user: changed, cause: 'deleted' });
    });
    deps.afterUserChanged(userId);
  }

  /** A deleted account is gone for the API (I4): its row stays (R12), never its number. */
  async function requireUser(userId: string): Promise<User> {
    const user = await findUser(db, userId);
    if (!user || user.state === 'deleted')
      throw new IdbridgeError('NOT_FOUND', `no user ${userId}`, { causeCode: 'USER_NOT_FOUND' });
    return user;
  }

  return {
    startRegistration,
    confirmRegistration,
    startReverification,
    confirmReverification,
    deleteUser,
    requireUser,
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
