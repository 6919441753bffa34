import { Type } from '@sinclair/typebox';
import { registerTypeBoxDateFormats } from './date-formats.js';

/**
 * Building blocks of the wire protocol (protocol.md §1). Shapes are written
 * as patterns, so the same schema validates the same way in Fastify's Ajv, in
 * TypeBox's compiler and in any partner's tooling. Dates carry a `format`
 * as well: a pattern cannot tell 2020-02-30 from a real day (R9, I1).
 */
// Before any schema below is checked: TypeBox fails a format it does not know.
registerTypeBoxDateFormats();

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
export const MAX_BATCH_ITEMS = 10_000;
export const MAX_NOTIFICATIONS_PER_REQUEST = 1_000;

export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  maxLength: 36,
  description: 'UUID chosen by the caller; the idempotency key of the POST',
});

/** E.164 with the plus sign (protocol.md §1 "Numbers"). */
export const Msisdn = Type.String({
  pattern: '^\\+[1-9][0-9]{7,14}$',
  maxLength: 16,
  description: 'E.164 number with +, e.g. +79161234567',
  examples: ['+79161234567'],
});

/** R5: opaque, 16–64 of [A-Za-z0-9_-], chosen by the messenger, never derived from the number. */
export const IdentificationCode = Type.String({
  pattern: '^[A-Za-z0-9_-]{16,64}$',
  minLength: 16,
  maxLength: 64,
  description: 'unique identification code assigned by the messenger (R5)',
});

export const DateTime = Type.String({
  format: 'date-time',
  pattern:
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
  maxLength: 40,
  description: 'RFC 3339 date-time of a real instant, with offset',
  examples: ['2026-11-28T09:00:00Z'],
});

export const CalendarDate = Type.String({
  format: 'date',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  maxLength: 10,
  description: 'RFC 3339 full-date of a real calendar day',
  examples: ['2017-03-01'],
});

/** CAMARA-style error body (protocol.md §1 "Errors"). */
export const ErrorBody = Type.Object(
  {
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ maxLength: 64 }),
    message: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/**
 * A 204 answer: no body. Documented as `null` (what OpenAPI shows), typed as
 * nothing, so a handler ends with `send()` and the signed response covers
 * the empty body that goes out.
 */
export const NoContent = Type.Unsafe<undefined>(Type.Null({ description: 'no content' }));

/** `x-correlator` header value (protocol.md §1). */
export const CORRELATOR_PATTERN = /^[a-zA-Z0-9-_:;./<>{}]{0,256}$/;
