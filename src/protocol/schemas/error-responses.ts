import { ErrorBody } from './common-schemas.js';

/**
 * The `response:` entries for error statuses: one CAMARA body each
 * (protocol.md §1). Every status a route can answer is listed, so the served
 * OpenAPI document names exactly what a client may see.
 */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody])) as Record<S, typeof ErrorBody>;
}

/** Answered by any route with a JSON body: bad input or x-correlator, credential, size, media type, a fault. */
export const BODY_ROUTE_ERRORS = [400, 401, 413, 415, 500] as const;
/** Answered by any route without a body. */
export const BODYLESS_ROUTE_ERRORS = [400, 401, 500] as const;
