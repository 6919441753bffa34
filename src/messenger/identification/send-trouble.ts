import { isIdbridgeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Participant } from '../../protocol/schemas/index.js';

/**
 * Why an identification request did not reach a decision at the operator, as
 * a metric label: `signature` (its response did not verify against the
 * directory's keys), `unreachable`, `bad_response`, `http_NNN` (a status
 * worth retrying: 401, 429, 5xx), `other`.
 */
export type SendFailureCause = string;

/** Statuses that say "not now" or "not this configuration", not "no": retried, never decided on. */
export function isRetryableStatus(status: number): boolean {
  return status === 401 || status === 429 || status >= 500;
}

export function classifySendError(err: unknown): SendFailureCause {
  if (!isIdbridgeError(err)) return 'other';
  if (err.code === 'UNAUTHENTICATED') return 'signature';
  if (err.code === 'UNAVAILABLE')
    return /non-JSON/.test(err.message) ? 'bad_response' : 'unreachable';
  return 'other';
}

/** What the person running the messenger should fix, in one line. */
function whatToFix(
  cause: SendFailureCause,
  operator: Participant,
  detail: string,
  directorySource: string,
): string {
  const kids = operator.keys.map((k) => k.kid).join(', ') || 'none';
  switch (cause) {
    case 'signature':
      return `responses of operator ${operator.id} fail signature verification (${detail}); ${directorySource} lists key ${kids} for it: check it holds ${operator.id}'s current public key`;
    case 'unreachable':
      return `operator ${operator.id} is unreachable at ${operator.baseUrl} (${detail}); check its baseUrl in ${directorySource} and the network path`;
    case 'http_401':
      return `operator ${operator.id} refuses our signature (401): check that its directory holds this messenger's current public key`;
    case 'bad_response':
      return `operator ${operator.id} answered with a body that is not JSON at ${operator.baseUrl}; check its baseUrl in ${directorySource}`;
    default:
      return `identification requests to operator ${operator.id} fail (${cause}: ${detail}); they are retried until the 20-minute deadline`;
  }
}

/**
 * One error line per operator and cause while the trouble lasts, not one per
 * request: the first failure says what to fix, repeats go to debug, and the
 * first delivery afterwards says the operator answers again.
 */
export function createSendTroubleLog(log: Logger, directorySource: string) {
  const reported = new Map<string, Set<SendFailureCause>>();
  return {
    failed(operator: Participant, cause: SendFailureCause, detail: string, requestId: string) {
      const causes = reported.get(operator.id) ?? new Set<SendFailureCause>();
      reported.set(operator.id, causes);
      const fields = { operator: operator.id, cause, requestId };
      if (causes.has(cause)) {
        log.debug({ ...fields, err: detail }, 'identification request not delivered; will retry');
        return;
      }
      causes.add(cause);
      log.error(fields, whatToFix(cause, operator, detail, directorySource));
    },
    delivered(operatorId: string) {
      if (!reported.delete(operatorId)) return;
      log.info(
        { operator: operatorId },
        `operator ${operatorId} answers identification requests again`,
      );
    },
  };
}

export type SendTroubleLog = ReturnType<typeof createSendTroubleLog>;
