/**
 * One error class for the whole program. Each code has one HTTP status and
 * maps to the CAMARA-style wire body `{status, code, message}` (protocol.md §1).
 */
export const ERROR_STATUS = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  // Not sent on the wire: local faults reported by the CLI and loaders.
  CONFIG_INVALID: 500,
  MIGRATION_FAILED: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface CamaraErrorBody {
  status: number;
  code: string;
  message: string;
}

export class IdbridgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, sent as `Retry-After` with TOO_MANY_REQUESTS / UNAVAILABLE. */
  readonly retryAfterSeconds: number | undefined;
  /**
   * The specific cause (`CODE_EXPIRED`), sent as `code` by listeners that
   * document cause codes (the messenger app API); the partner APIs keep the
   * protocol's generic codes.
   */
  readonly causeCode: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryAfterSeconds?: number; causeCode?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IdbridgeError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.causeCode = options.causeCode;
  }

  toBody(): CamaraErrorBody {
    return { status: this.status, code: this.code, message: this.message };
  }
}

export function isIdbridgeError(err: unknown): err is IdbridgeError {
  return err instanceof IdbridgeError;
}

/**
 * The wire body for any thrown value. Unknown faults become a bare INTERNAL
 * body: stack traces and SQL never reach a client.
 */
export function toCamaraBody(err: unknown): CamaraErrorBody {
  if (isIdbridgeError(err)) return err.toBody();
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}
