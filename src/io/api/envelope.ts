/**
 * Reading answers: the success envelope `{success: true, data}` is checked by HTTP status *and* `success`;
 * everything else becomes the typed error for its kind, with a message that says what to do. Error bodies that
 * are not JSON (a proxy's HTML page, nothing at all) are reported by status and a short excerpt.
 */
import { isJsonObject, type JsonObject } from '../../core/json.js';
import {
  AmbiguousWriteError,
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  redactSecret,
  spentQuotaName,
  type ApiErrorInit,
} from './errors.js';
import type { HttpAnswer } from './http.js';

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};
const STATUS_FOR_CODE: Record<string, number> = Object.fromEntries(
  Object.entries(CODE_FOR_STATUS).map(([status, code]) => [code, Number(status)]),
);
/** 5xx after which a creating POST may have been committed (a 501 certainly was not). */
const AMBIGUOUS_SERVER_STATUSES = new Set([500, 502, 503, 504]);
const SCOPE_PATTERN = /\b(tasks|executions|data|analytics|billing):(read|write)\b/g;
const EXCERPT_CHARS = 120;

export interface AnswerContext {
  /** The request creates something: a 5xx or an unreadable success leaves its outcome unknown. */
  creates?: boolean;
  token: string;
}

/** The whole success envelope (lists need `pagination` beside `data`); throws the typed error otherwise. */
export function readEnvelope(answer: HttpAnswer, context: AnswerContext): JsonObject {
  const parsed = parseJson(answer.text);
  const ok = answer.status >= 200 && answer.status < 300;
  if (ok && isJsonObject(parsed) && parsed.success === true) return parsed;
  if (ok && !(isJsonObject(parsed) && parsed.success === false)) {
    throw invalidAnswer(answer, context, 'not the documented JSON envelope');
  }
  throw errorFromAnswer(answer, context);
}

/** The answer was a success but its content is unusable (e.g. no id in a created object). */
export function invalidAnswer(answer: HttpAnswer, context: AnswerContext, what: string): ApiError {
  const where = `${answer.method} ${answer.path}`;
  return unusableAnswer(
    answer,
    context,
    `the Task Service answered ${where} with ${answer.status} but ${what}: ${excerptOf(answer.text, context.token)}`,
  );
}

/**
 * A success whose data lacks fields callers rely on (`problems`: `data is missing "status"`…). A creating request
 * may still have taken effect, so it stays ambiguous; anything else is a server fault.
 */
export function unexpectedAnswer(answer: HttpAnswer, context: AnswerContext, problems: string[]): ApiError {
  return unusableAnswer(
    answer,
    context,
    `unexpected answer from the Task Service: ${answer.method} ${answer.path} answered ${answer.status} but ${problems.join('; ')}`,
  );
}

/** A success that cannot be used: ambiguous for a creating request (it may have taken effect), else a server fault. */
function unusableAnswer(answer: HttpAnswer, context: AnswerContext, message: string): ApiError {
  const init: ApiErrorInit = {
    method: answer.method,
    path: answer.path,
    status: answer.status,
    code: 'INVALID_RESPONSE',
    message,
  };
  return context.creates
    ? new AmbiguousWriteError({ ...init, message: `${message}; it may or may not have taken effect` })
    : new ServerError(init);
}

/** The typed error for a failed answer (non-2xx, or `success: false`). */
export function errorFromAnswer(answer: HttpAnswer, context: AnswerContext): ApiError {
  const parsed = parseJson(answer.text);
  const body = isJsonObject(parsed) ? parsed : undefined;
  const errorObject = body && isJsonObject(body.error) ? body.error : undefined;
  const code = stringOf(errorObject?.code) ?? CODE_FOR_STATUS[answer.status] ?? `HTTP_${answer.status}`;
  const serverMessage = redactSecret(
    stringOf(errorObject?.message) ??
      stringOf(body?.error) ??
      stringOf(body?.message) ??
      excerptOf(answer.text, context.token),
    context.token,
  );
  // A failure inside a 2xx (`success: false`) is classified by its code.
  const kind = answer.status >= 400 ? answer.status : (STATUS_FOR_CODE[code] ?? 500);
  const where = `${answer.method} ${answer.path}`;
  const label = `${answer.status} ${code}`;
  const init = (message: string, hint?: string): ApiErrorInit => ({
    method: answer.method,
    path: answer.path,
    status: answer.status,
    code,
    message,
    ...(hint === undefined ? {} : { hint }),
  });

  switch (kind) {
    case 400:
      return new BadRequestError(
        init(`the Task Service refused ${where} as invalid (${label}): ${serverMessage}`),
      );
    case 401:
      return new UnauthorizedError(
        init(
          `the Task Service rejected the token (${label}, ${where}): check TITAN_TOKEN`,
          `The service said: ${serverMessage}`,
        ),
      );
    case 403:
      return forbidden(init, label, where, serverMessage);
    case 404:
      return new NotFoundError(init(`not found: ${where} (${label}): ${serverMessage}`));
    case 429:
      return rateLimited(init, label, where, serverMessage, answer);
  }
  if (kind >= 500) {
    if (context.creates && AMBIGUOUS_SERVER_STATUSES.has(kind)) {
      return new AmbiguousWriteError(
        init(
          `the Task Service answered ${label} to ${where} (${serverMessage}): it may or may not have taken effect`,
        ),
      );
    }
    const tries = answer.attempts > 1 ? `, after ${answer.attempts} attempts` : '';
    return new ServerError(init(`the Task Service failed on ${where} (${label}${tries}): ${serverMessage}`));
  }
  return new ApiError(init(`the Task Service answered ${label} to ${where}: ${serverMessage}`));
}

function forbidden(
  init: (message: string, hint?: string) => ApiErrorInit,
  label: string,
  where: string,
  serverMessage: string,
): ForbiddenError {
  const scopes = [...new Set(serverMessage.match(SCOPE_PATTERN) ?? [])];
  const scope = scopes.length > 0 ? scopes.join(' or ') : undefined;
  if (scope !== undefined) {
    return new ForbiddenError(
      init(
        `the token lacks the scope ${scope} (${label}, ${where}): use an API key that has it`,
        `The service said: ${serverMessage}`,
      ),
      scope,
    );
  }
  return new ForbiddenError(
    init(
      `the token is not allowed to ${where} (${label}): ${serverMessage}`,
      'Check the API key scopes: tasks:read, tasks:write, executions:read, executions:write, data:read.',
    ),
    undefined,
  );
}

function rateLimited(
  init: (message: string, hint?: string) => ApiErrorInit,
  label: string,
  where: string,
  serverMessage: string,
  answer: HttpAnswer,
): RateLimitedError {
  const resetAt = absoluteResetOf(answer.headers);
  // The quota may be named by the code (`PREVIEW_LIMIT_EXCEEDED`) or by the message: label holds the code.
  const quota = spentQuotaName(`${label} ${serverMessage}`);
  if (quota !== undefined) {
    return new RateLimitedError(
      init(
        `the daily quota for ${where} is spent (${label}): ${serverMessage}`,
        resetAt === undefined ? 'Try again tomorrow.' : `Try again after ${resetAt}.`,
      ),
      quota,
    );
  }
  const resets = resetAt === undefined ? '' : `; the limit resets at ${resetAt}`;
  return new RateLimitedError(
    init(
      `the Task Service kept rate-limiting ${where} (${label}, ${answer.attempts} attempts${resets}): ${serverMessage}`,
      'Lower --parallelism, or try again in a minute.',
    ),
    undefined,
  );
}

/** `X-RateLimit-Reset` as an ISO instant, when it is given as Unix seconds (the documented form). */
function absoluteResetOf(headers: Headers): string | undefined {
  const value = headers.get('x-ratelimit-reset')?.trim() ?? '';
  if (!/^\d+$/.test(value) || Number(value) < 1_000_000_000) return undefined;
  return new Date(Number(value) * 1000).toISOString();
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

const stringOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** A short, single-line, tag-free excerpt of a body, for answers that are not JSON. */
export function excerptOf(text: string, token: string): string {
  const plain = redactSecret(text, token)
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain === '') return '(empty body)';
  const cut = plain.length > EXCERPT_CHARS ? `${plain.slice(0, EXCERPT_CHARS)}…` : plain;
  return `"${cut}"`;
}
