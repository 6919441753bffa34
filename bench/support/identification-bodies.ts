import { newId } from '../../src/core/ids.js';
import type {
  BatchIdentificationRequest,
  IdentificationRequest,
} from '../../src/protocol/schemas/index.js';
import { subscriberMsisdn } from './synthetic-subscribers.js';

/**
 * Request bodies for subscriber `i` of the synthetic base. Codes are derived
 * from the run tag and the number, so every request carries a fresh code
 * (codes are never reused, protocol.md §2) and a run never collides with itself.
 */
export function benchCode(tag: string, i: number): string {
  return `bench-${tag}-${String(i).padStart(9, '0')}`;
}

export function identificationBody(tag: string, i: number): IdentificationRequest {
  return {
    requestId: newId(),
    msisdn: subscriberMsisdn(i),
    identificationCode: benchCode(tag, i),
    purpose: 'registration',
    possessionVerifiedAt: new Date().toISOString(),
  };
}

/** A legacy batch (R9, I1) over the given subscribers, all users since `userSince`. */
export function batchBody(
  tag: string,
  indexes: readonly number[],
  userSince: string,
): BatchIdentificationRequest {
  return {
    batchId: newId(),
    items: indexes.map((i) => ({
      requestId: newId(),
      msisdn: subscriberMsisdn(i),
      identificationCode: benchCode(tag, i),
      userSince,
    })),
  };
}
