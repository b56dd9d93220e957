/**
 * One error class per way a Task Service call can fail. Every one carries the method, the path (with query) and,
 * when there was an answer, the HTTP status and `error.code` — never the token: messages are built only from
 * the request line and the server's own (redacted) words.
 */
import { OperationalError } from '../../core/errors.js';
import { compileScrubber, TOKEN_LABEL } from '../../core/scrub.js';

export interface ApiErrorInit {
  method: string;
  path: string;
  /** HTTP status of the answer; undefined when there was none (network failure, timeout). */
  status: number | undefined;
  /** The envelope's `error.code`, or a client-side code such as `NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`. */
  code: string;
  message: string;
  hint?: string;
}

export class ApiError extends OperationalError {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  readonly code: string;
  constructor(init: ApiErrorInit) {
    super(init.message, init.hint);
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.code = init.code;
  }
}

/** 401: missing, unknown or expired token. */
export class UnauthorizedError extends ApiError {}

/** 403: the token is valid but lacks a scope; `scope` is set when the server named it. */
export class ForbiddenError extends ApiError {
  constructor(
    init: ApiErrorInit,
    readonly scope: string | undefined,
  ) {
    super(init);
  }
}

/** 404, or a task that the service reports as soft-deleted. */
export class NotFoundError extends ApiError {}

/** 400: the service refused the body or the query; its message names the field. */
export class BadRequestError extends ApiError {}

/** 429 that outlived the retries, or a spent daily quota (`quota` set, e.g. `preview_limit_exceeded`). */
export class RateLimitedError extends ApiError {
  constructor(
    init: ApiErrorInit,
    readonly quota: string | undefined,
  ) {
    super(init);
  }
}

/** 5xx that outlived the retries, or an answer that is not the documented envelope. */
export class ServerError extends ApiError {}

/** The connection failed (refused, reset, DNS) and retries, where allowed, did not help. */
export class NetworkError extends ApiError {}

/** No answer within the per-request deadline. */
export class TimeoutError extends ApiError {}

/**
 * A creating POST (task create, run, execution trigger) whose outcome is unknown: it may or may not have taken
 * effect. Never retried blindly; the caller settles it by looking the object up.
 */
export class AmbiguousWriteError extends ApiError {}

/**
 * Replaces the secret in text that came from outside (server messages, error bodies, trace lines) with the one
 * scrubber's rules: a short token is replaced where it stands as a token, not letter by letter.
 */
export function redactSecret(text: string, secret: string): string {
  return secret.length > 0 ? compileScrubber(new Map([[secret, TOKEN_LABEL]]))(text) : text;
}

/**
 * The name of a spent daily quota a 429 names (`preview_limit_exceeded`, `PREVIEW_LIMIT_EXCEEDED`…), in lower
 * case, if it names one: the docs give the name but not its case or where in the body it stands.
 */
export const spentQuotaName = (text: string): string | undefined =>
  /\b\w*limit_exceeded\b/i.exec(text)?.[0].toLowerCase();
