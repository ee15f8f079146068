/**
 * Three kinds of error, as the style guide describes:
 *  - UserError: the request or the script is wrong; shown to the user with where and how to fix it.
 *  - OperationalError: a backing service is down; retried, answered 503 naming the service.
 *  - UnexpectedError: a bug; logged with a request id, answered 500 without internals.
 *
 * Errors are recognised by a brand rather than `instanceof`, because the same module can be loaded
 * twice (e.g. once by the server bundle and once by a worker thread bundle).
 */

export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'SCRIPT_INVALID'
  | 'TESTS_FAILED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SCRIPT_INVALID: 422,
  TESTS_FAILED: 422,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const BRAND = Symbol.for('script-server.app-error');

export type ErrorKind = 'user' | 'operational' | 'unexpected';

export class AppError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly kind: ErrorKind,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = kind === 'user' ? 'UserError' : kind === 'operational' ? 'OperationalError' : 'UnexpectedError';
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

export class UserError extends AppError {
  constructor(code: Exclude<ErrorCode, 'UNAVAILABLE' | 'INTERNAL'>, message: string, details: Record<string, unknown> = {}) {
    super('user', code, message, details);
  }
}

/** A backing service is unavailable. `service` names it for the operator ("database", "Kafka", "InfluxDB"). */
export class OperationalError extends AppError {
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('operational', 'UNAVAILABLE', message, { service }, options);
  }
}

export class UnexpectedError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unexpected', 'INTERNAL', message, {}, options);
  }
}

export function isAppError(value: unknown): value is AppError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

export const notFound = (what: string, id: string) => new UserError('NOT_FOUND', `${what} '${id}' was not found`, { id });

/** The message of anything thrown, without trusting it to be an Error. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
