import { type CamaraErrorBody, isIdbridgeError } from '../core/errors.js';

/**
 * Maps anything a route can throw to a CAMARA body (protocol.md §1). Fastify's
 * own errors (validation, body limit, media type, JSON syntax) keep their 4xx
 * meaning; anything unexpected becomes a bare 500 with no detail. With
 * `causeCodes`, an error's specific cause replaces its generic code.
 */
export function toHttpError(
  error: unknown,
  options: { causeCodes?: boolean } = {},
): {
  body: CamaraErrorBody;
  retryAfterSeconds?: number;
} {
  if (isIdbridgeError(error)) {
    const body = error.toBody();
    if (options.causeCodes && error.causeCode) body.code = error.causeCode;
    return error.retryAfterSeconds === undefined
      ? { body }
      : { body, retryAfterSeconds: error.retryAfterSeconds };
  }
  const e = error as { code?: string; statusCode?: number; validation?: unknown; message?: string };
  if (e.validation !== undefined) {
    return { body: { status: 400, code: 'INVALID_ARGUMENT', message: clip(e.message) } };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        body: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body too large' },
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        body: {
          status: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: 'content-type must be application/json',
        },
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { body: { status: 400, code: 'INVALID_ARGUMENT', message: 'request body is empty' } };
    default:
      break;
  }
  if (error instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return {
      body: { status: 400, code: 'INVALID_ARGUMENT', message: 'request body is not valid JSON' },
    };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { body: { status: e.statusCode, code: 'INVALID_ARGUMENT', message: clip(e.message) } };
  }
  return { body: { status: 500, code: 'INTERNAL', message: 'internal error' } };
}

function clip(message: string | undefined): string {
  return (message ?? 'invalid request').slice(0, 500);
}
