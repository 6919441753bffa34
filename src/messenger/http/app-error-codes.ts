import { Type } from '@sinclair/typebox';

/**
 * Every `code` the app API answers with: a backend branches
 * on these, never on the message. The generic codes come from the wire
 * conventions (schema, auth, media type); the rest name one cause each.
 * docs/messenger-app-api.md lists the same table; a test keeps them equal.
 */
export const APP_ERROR_CODES = {
  INVALID_ARGUMENT: [400, 'the request does not match the schema; the message names the field'],
  INVALID_NUMBER: [400, 'the phone is not a Russian mobile number'],
  INVALID_PURPOSE: [400, 'the code purpose is not a valid name (a node fault)'],
  INVALID_CODE_FORMAT: [400, 'the code is not a string of digits'],
  CODE_MISMATCH: [400, 'wrong code; the message says how many tries are left'],
  CODE_EXPIRED: [400, 'the code has expired; request a new one'],
  CODE_SUPERSEDED: [400, 'a newer code was sent; use that one'],
  UNAUTHENTICATED: [401, 'no or wrong bearer credential'],
  CODE_LOCKED: [403, 'too many wrong codes; request a new one'],
  PERMISSION_DENIED: [403, 'the caller may not use this route'],
  NOT_FOUND: [404, 'no such route'],
  CHALLENGE_NOT_FOUND: [404, 'no open code for this number (never sent, or used up)'],
  USER_NOT_FOUND: [404, 'no such user (or the account was deleted)'],
  CONFLICT: [409, 'the request conflicts with the current state'],
  CODE_ALREADY_USED: [409, 'this code was already used'],
  NUMBER_IN_USE: [409, 'the new number belongs to another account'],
  USER_STATE_CONFLICT: [409, "the user's state does not allow this step"],
  PAYLOAD_TOO_LARGE: [413, 'the body is too large'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'the body is not application/json'],
  RESEND_TOO_SOON: [429, 'a code was sent moments ago; Retry-After says when to ask again'],
  NUMBER_SEND_LIMIT: [429, 'too many codes sent to this number; Retry-After'],
  NUMBER_REGISTRATION_LIMIT: [429, 'too many registrations of this number; Retry-After'],
  CALLER_SEND_LIMIT: [429, 'this API client has sent too many codes; Retry-After'],
  TOO_MANY_REQUESTS: [429, 'rate limited; Retry-After'],
  INTERNAL: [500, 'an unexpected fault; the node logs it'],
  SMS_SEND_FAILED: [503, 'the SMS gateway refused or failed; try again'],
  UNAVAILABLE: [503, 'the node cannot serve now (database); Retry-After when known'],
} as const satisfies Record<string, readonly [number, string]>;

export type AppErrorCode = keyof typeof APP_ERROR_CODES;

/** The app API's error body: the CAMARA shape, its `code` one of the list above. */
export const AppErrorBody = Type.Object(
  {
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.Unsafe<AppErrorCode>({
      type: 'string',
      enum: Object.keys(APP_ERROR_CODES),
      description: 'the cause; see docs/messenger-app-api.md "Error codes"',
    }),
    message: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);
