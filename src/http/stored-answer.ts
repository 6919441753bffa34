import type { Static, TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { schemaProblem } from '../protocol/schemas/schema-problem.js';

/**
 * A checker for answers read back from the database (an idempotent
 * request's stored first answer) before they are sent again: the response
 * serializer does not validate, so a stored body that no longer fits the
 * schema would otherwise go out as it is.
 */
export function storedAnswerCheck<T extends TSchema>(
  schema: T,
  what: string,
): (body: unknown) => Static<T> {
  const check: TypeCheck<T> = TypeCompiler.Compile(schema);
  return (body) => {
    if (check.Check(body)) return body;
    throw new Error(
      `stored ${what} answer does not match its schema (${schemaProblem(check, body)})`,
    );
  };
}
