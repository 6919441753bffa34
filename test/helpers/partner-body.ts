import type { AnswerBody, AnswerSchemas } from '../../src/protocol/http/partner-answers.js';
import type { PartnerResponse } from '../../src/protocol/http/partner-client.js';

/** What a partner answered, success or error, for tests that compare it whole. */
export function bodyOf<S extends AnswerSchemas>(res: PartnerResponse<S>): unknown {
  return res.ok ? res.body : res.error;
}

/** A success answer's body, typed by its schema; a failed test names the error answer. */
export function okBody<S extends AnswerSchemas>(res: PartnerResponse<S>): AnswerBody<S> {
  if (!res.ok)
    throw new Error(
      `expected a success answer, got HTTP ${res.status} ${JSON.stringify(res.error)}`,
    );
  return res.body;
}

/** An error answer's message ('' for a success). */
export function messageOf<S extends AnswerSchemas>(res: PartnerResponse<S>): string {
  return res.ok ? '' : (res.error?.message ?? '');
}
