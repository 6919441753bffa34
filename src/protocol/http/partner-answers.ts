import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { IdbridgeError } from '../../core/errors.js';
import { ErrorBody } from '../schemas/common-schemas.js';
import { schemaProblem } from '../schemas/schema-problem.js';

/**
 * The answers a request may get: each success status the protocol names for
 * it, with its body's schema (null: the answer has no body). Error statuses
 * (4xx, 5xx) carry the CAMARA error body and need not be listed.
 */
export type AnswerSchemas = Readonly<Record<number, TSchema | null>>;

/** The body of a listed answer, as its schema types it. */
export type AnswerBody<S extends AnswerSchemas> = {
  [K in keyof S]: S[K] extends TSchema ? Static<S[K]> : undefined;
}[keyof S];

const checks = new WeakMap<TSchema, TypeCheck<TSchema>>();
const checkError = TypeCompiler.Compile(ErrorBody);

function compiled(schema: TSchema): TypeCheck<TSchema> {
  let check = checks.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    checks.set(schema, check);
  }
  return check;
}

/**
 * Reads a verified answer by the protocol: a listed status with a body its
 * schema accepts, or an error status with a CAMARA error body (or none).
 * Anything else is refused as UNAVAILABLE, as a partner fault: a validly
 * signed answer is still not applied if it is not one the protocol allows.
 */
export function readAnswer<S extends AnswerSchemas>(
  participantId: string,
  answers: S,
  status: number,
  body: unknown,
): { ok: true; body: AnswerBody<S> } | { ok: false; error: Static<typeof ErrorBody> | undefined } {
  if (status >= 400) {
    if (body === undefined) return { ok: false, error: undefined };
    if (checkError.Check(body)) return { ok: false, error: body };
    throw malformed(participantId, status, 'an error body that is not {status, code, message}');
  }
  if (!Object.hasOwn(answers, status)) {
    throw malformed(participantId, status, 'a status this request does not have');
  }
  const schema = answers[status];
  if (schema === null || schema === undefined) {
    if (body !== undefined) throw malformed(participantId, status, 'a body where none belongs');
    return { ok: true, body: undefined as AnswerBody<S> };
  }
  const check = compiled(schema);
  if (!check.Check(body)) {
    const where = schemaProblem(check, body);
    throw malformed(participantId, status, `a body the protocol does not allow (${where})`);
  }
  return { ok: true, body: body as AnswerBody<S> };
}

function malformed(participantId: string, status: number, what: string): IdbridgeError {
  return new IdbridgeError(
    'UNAVAILABLE',
    `${participantId} answered HTTP ${status} with ${what}; the answer was not applied`,
  );
}
