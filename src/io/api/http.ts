/**
 * The HTTP transport under the client: one request = up to `maxAttempts` attempts, each with its own deadline,
 * paced by the rate-limit headers, retried only when that cannot duplicate a side effect (titan-api.md A4), and
 * traced as one line per attempt. It hands back the final answer (any status); turning statuses into typed
 * errors is the envelope module's job. Failures without an answer (timeout, lost connection, Ctrl-C) are thrown
 * here.
 */
import { InterruptedError, TitanError } from '../../core/errors.js';
import type { JsonValue } from '../../core/json.js';
import type { RequestStats } from '../../core/service/types.js';
import { equalJitterDelayMs, retryDelayMs, serverRequestedWaitMs, type BackoffPolicy } from './backoff.js';
import {
  AmbiguousWriteError,
  NetworkError,
  RateLimitedError,
  TimeoutError,
  redactSecret,
  spentQuotaName,
} from './errors.js';
import { API_PREFIX } from './origin.js';
import { RatePacer } from './pacer.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Path under `/api/v1`, with its query string. */
  path: string;
  body?: JsonValue;
  /** A POST that creates something (task, execution): an unknown outcome becomes an AmbiguousWriteError. */
  creates?: boolean;
  /** Accept header; JSON unless a raw download. */
  accept?: string;
}

/** The final answer to a request, whatever its status. */
export interface HttpAnswer {
  method: HttpMethod;
  /** `/api/v1/...` with query: what errors and traces name. */
  path: string;
  status: number;
  headers: Headers;
  /** The body text; for a successful stream request it is not read (see `response`). */
  text: string;
  attempts: number;
  /** Set only for a successful stream request: the unread response and the deadline guarding its body. */
  response?: Response;
  deadline?: Deadline;
}

export interface TransportConfig {
  origin: string;
  timeoutMs: number;
  maxAttempts: number;
  maxRetryWaitMs: number;
  backoff: BackoffPolicy;
  stats: RequestStats;
  fetch: typeof fetch;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => number;
  trace?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** Retried for idempotent methods: transient gateway and server answers, and rate limiting. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'PUT', 'PATCH', 'DELETE']);
/** Connection failures that happen before a single byte of the request is sent: safe to retry for any method. */
const PRE_SEND_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'x-correlation-id'];

/** One attempt's answer before it is judged. */
interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  response?: Response;
}

interface TraceFields {
  method: HttpMethod;
  path: string;
  attempt: number;
  elapsedMs: number;
}

type Failure =
  | { kind: 'interrupted' }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string; detail: string; preSend: boolean };

/** A per-attempt deadline chained to the client-wide abort signal; `restart` turns it into an idle timer. */
export class Deadline {
  readonly signal: AbortSignal;
  timedOut = false;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    parent: AbortSignal | undefined,
  ) {
    this.signal = parent ? AbortSignal.any([parent, this.controller.signal]) : this.controller.signal;
    this.restart();
  }

  restart(): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`deadline of ${this.ms} ms passed`));
    }, this.ms);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

export class Transport {
  private readonly pacer: RatePacer;
  /** A true private field: `util.inspect` and JSON.stringify of the transport never show it. */
  readonly #token: string;

  constructor(
    private readonly config: TransportConfig,
    token: string,
  ) {
    this.#token = token;
    this.pacer = new RatePacer(config.now);
  }

  /**
   * Sends the request, retrying where allowed, and returns the final answer with its body read — or, for a
   * successful `stream` request, with the body left unread in `response` under an idle deadline.
   */
  async send(request: HttpRequest, mode: 'json' | 'stream' = 'json'): Promise<HttpAnswer> {
    const path = `${API_PREFIX}${request.path}`;
    let waitedMs = 0;
    for (let attempt = 1; ; attempt++) {
      // A pacing wait counts against the same budget as retry waits: a far-off reset fails fast, it never freezes.
      const pacing = this.pacer.reserve(Math.max(0, this.config.maxRetryWaitMs - waitedMs));
      if (pacing === undefined) throw this.pacedOut(request, path);
      await this.pause(pacing);
      waitedMs += pacing;
      const deadline = new Deadline(this.config.timeoutMs, this.config.signal);
      const started = this.config.now();
      this.config.stats.requests += 1;
      const result = await this.attempt(request, path, mode, deadline);
      const line: TraceFields = {
        method: request.method,
        path,
        attempt,
        elapsedMs: this.config.now() - started,
      };
      if ('failure' in result) {
        this.pacer.settle();
        const delay = this.retryDelay(
          attempt,
          waitedMs,
          this.mayRetryFailure(request, result.failure),
          undefined,
        );
        this.traceLine({ ...line, outcome: describeFailure(result.failure), retryInMs: delay });
        if (delay === undefined) throw this.failureError(request, path, result.failure);
        waitedMs += await this.retryAfter(delay, deadline);
        continue;
      }
      const delay = this.delayAfterAnswer(request, result, attempt, waitedMs);
      this.traceLine({
        ...line,
        outcome: String(result.status),
        requestId: requestIdOf(result.headers),
        retryInMs: delay,
      });
      if (delay === undefined) return this.finalAnswer(request, path, result, attempt, deadline);
      waitedMs += await this.retryAfter(delay, deadline);
    }
  }

  /** Learns from the answer (budget, 429s) and says whether and when to try again. */
  private delayAfterAnswer(
    request: HttpRequest,
    result: RawAnswer,
    attempt: number,
    waitedMs: number,
  ): number | undefined {
    const spentQuota = isSpentQuota(result.status, result.text);
    this.pacer.observe(result.status, result.headers, spentQuota);
    if (result.status === 429) this.config.stats.rateLimited += 1;
    const retry = this.mayRetryStatus(request, result.status, spentQuota);
    const requested = retry ? serverRequestedWaitMs(result.headers, this.config.now()) : undefined;
    if (retry && result.status === 429 && requested === undefined)
      return this.unhintedRateLimitDelay(attempt, waitedMs);
    return this.retryDelay(attempt, waitedMs, retry, requested);
  }

  /**
   * A 429 that says nothing of when to come back (no `Retry-After`, no `X-RateLimit-Reset`): the limiter's window
   * is unknown but typically a minute (titan-api.md B7), which the attempt cap would give up long before. It is
   * retried for as long as the wait budget lasts (at least one window by default), with a backoff that never
   * draws a near-zero wait, so the waits really add up to the window.
   */
  private unhintedRateLimitDelay(attempt: number, waitedMs: number): number | undefined {
    const delay = equalJitterDelayMs(attempt, this.config.backoff, this.config.random);
    return waitedMs + delay > this.config.maxRetryWaitMs ? undefined : delay;
  }

  private finalAnswer(
    request: HttpRequest,
    path: string,
    result: RawAnswer,
    attempts: number,
    deadline: Deadline,
  ): HttpAnswer {
    const answer: HttpAnswer = { ...result, method: request.method, path, attempts };
    if (result.response === undefined) deadline.clear();
    else answer.deadline = deadline; // a stream's body is still to come
    return answer;
  }

  private async retryAfter(delay: number, deadline: Deadline): Promise<number> {
    deadline.clear();
    this.config.stats.retries += 1;
    await this.pause(delay);
    return delay;
  }

  /** Turns a failure of a stream body (after the answer was accepted) into the matching typed error. */
  streamFailure(request: HttpRequest, path: string, deadline: Deadline, error: unknown): Error {
    const failure = this.classify(error, deadline);
    if (failure.kind === 'timeout') {
      return new TimeoutError({
        method: request.method,
        path,
        status: undefined,
        code: 'TIMEOUT',
        message: `the download from the Task Service stalled: no data for ${seconds(this.config.timeoutMs)} (${request.method} ${path})`,
      });
    }
    return this.failureError(request, path, failure);
  }

  private async attempt(
    request: HttpRequest,
    path: string,
    mode: 'json' | 'stream',
    deadline: Deadline,
  ): Promise<RawAnswer | { failure: Failure }> {
    try {
      const response = await this.config.fetch(`${this.config.origin}${path}`, {
        method: request.method,
        headers: this.headersFor(request),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: deadline.signal,
      });
      if (mode === 'stream' && response.ok) {
        deadline.restart(); // from here the deadline is an idle timer, reset by every chunk of the body
        return { status: response.status, headers: response.headers, text: '', response };
      }
      const text = await response.text();
      return { status: response.status, headers: response.headers, text };
    } catch (error) {
      deadline.clear();
      return { failure: this.classify(error, deadline) };
    }
  }

  private headersFor(request: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#token}`,
      Accept: request.accept ?? 'application/json',
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    return headers;
  }

  private classify(error: unknown, deadline: Deadline): Failure {
    if (this.config.signal?.aborted) return { kind: 'interrupted' };
    if (deadline.timedOut) return { kind: 'timeout' };
    const code = errorCode(error);
    const detail = redactSecret(errorDetail(error), this.#token);
    return { kind: 'network', code, detail, preSend: PRE_SEND_CODES.has(code) };
  }

  private mayRetryFailure(request: HttpRequest, failure: Failure): boolean {
    if (failure.kind !== 'network') return false;
    return failure.preSend || IDEMPOTENT_METHODS.has(request.method);
  }

  /**
   * 429 from the rate limiter means the request was not processed, so any method may repeat it — except a spent
   * daily quota, which no wait within a run will refill. 5xx are retried only for idempotent methods.
   */
  private mayRetryStatus(request: HttpRequest, status: number, spentQuota: boolean): boolean {
    if (!RETRYABLE_STATUSES.has(status)) return false;
    if (status === 429) return !spentQuota;
    return IDEMPOTENT_METHODS.has(request.method);
  }

  /** The wait before the next attempt, or undefined when the attempts or the wait budget are spent. */
  private retryDelay(
    attempt: number,
    waitedMs: number,
    retryable: boolean,
    requestedMs: number | undefined,
  ): number | undefined {
    if (!retryable || attempt >= this.config.maxAttempts) return undefined;
    const delay = retryDelayMs(attempt, this.config.backoff, this.config.random, requestedMs);
    return waitedMs + delay > this.config.maxRetryWaitMs ? undefined : delay;
  }

  private failureError(request: HttpRequest, path: string, failure: Failure): Error {
    const { method } = request;
    const where = `${method} ${path}`;
    if (failure.kind === 'interrupted') {
      if (request.creates) {
        return new AmbiguousWriteError({
          method,
          path,
          status: undefined,
          code: 'INTERRUPTED',
          message: `interrupted while waiting for the answer to ${where}: it may or may not have taken effect`,
        });
      }
      return this.interruption();
    }
    if (failure.kind === 'timeout') {
      const init = { method, path, status: undefined, code: 'TIMEOUT' };
      if (request.creates) {
        return new AmbiguousWriteError({
          ...init,
          message: `no answer to ${where} within ${seconds(this.config.timeoutMs)}: it may or may not have taken effect`,
        });
      }
      return new TimeoutError({
        ...init,
        message: `the Task Service did not answer ${where} within ${seconds(this.config.timeoutMs)}`,
        hint: 'The service may be overloaded or unreachable; try again later.',
      });
    }
    const init = { method, path, status: undefined, code: failure.code || 'NETWORK_ERROR' };
    if (request.creates && !failure.preSend) {
      return new AmbiguousWriteError({
        ...init,
        message: `the connection was lost during ${where} (${failure.detail}): it may or may not have taken effect`,
      });
    }
    return new NetworkError({
      ...init,
      message: `could not reach the Task Service at ${this.config.origin} (${failure.detail}) for ${where}`,
      hint: 'Check TITAN_API_URL and the network connection.',
    });
  }

  /** The request would wait past the retry budget for the rate limit to reset: it is not sent at all. */
  private pacedOut(request: HttpRequest, path: string): RateLimitedError {
    const resetAt = this.pacer.earliestStart();
    const inMs = Math.max(0, resetAt - this.config.now());
    const resets = `resets at ${new Date(resetAt).toISOString()} (in ${describeWait(inMs)})`;
    const budget = describeWait(this.config.maxRetryWaitMs);
    return new RateLimitedError(
      {
        method: request.method,
        path,
        status: undefined,
        code: 'RATE_LIMITED',
        message: `${request.method} ${path} was not sent: the Task Service's rate limit ${resets}, later than titan waits for one request (${budget})`,
        hint: 'Try again after the reset, or lower --parallelism.',
      },
      undefined,
    );
  }

  private interruption(): Error {
    const reason: unknown = this.config.signal?.reason;
    return reason instanceof TitanError ? reason : new InterruptedError('interrupted');
  }

  private async pause(ms: number): Promise<void> {
    if (this.config.signal?.aborted) throw this.interruption();
    if (ms <= 0) return;
    try {
      await this.config.sleep(ms, this.config.signal);
    } catch (error) {
      if (this.config.signal?.aborted) throw this.interruption();
      throw error;
    }
  }

  private traceLine(
    fields: TraceFields & { outcome: string; requestId?: string | undefined; retryInMs: number | undefined },
  ): void {
    if (!this.config.trace) return;
    let line = `${fields.method} ${fields.path} ${fields.outcome} ${Math.round(fields.elapsedMs)}ms attempt ${fields.attempt}`;
    if (fields.requestId !== undefined) line += ` request-id ${fields.requestId}`;
    if (fields.retryInMs !== undefined) line += ` (retry in ${fields.retryInMs}ms)`;
    this.config.trace(redactSecret(line, this.#token));
  }
}

/** A 429 for a spent daily quota (`preview_limit_exceeded`…): no wait within a run refills it. */
export function isSpentQuota(status: number, text: string): boolean {
  return status === 429 && spentQuotaName(text) !== undefined;
}

/** "45 s", "12 min", "11 h 59 min": a wait as a person reads it. */
function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function describeFailure(failure: Failure): string {
  return failure.kind === 'network' ? `error ${failure.code || 'NETWORK_ERROR'}` : failure.kind;
}

function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value !== null && value !== '') return value.slice(0, 100);
  }
  return undefined;
}

/** The system error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) somewhere in fetch's cause chain. */
function errorCode(error: unknown): string {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (typeof current !== 'object' || current === null) break;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}

/** The innermost message of fetch's cause chain ("connect ECONNREFUSED 127.0.0.1:9", "other side closed"). */
function errorDetail(error: unknown): string {
  let detail = error instanceof Error ? error.message : String(error);
  for (let current: unknown = error, depth = 0; depth < 5; depth++) {
    const cause = current instanceof Error ? current.cause : undefined;
    if (!(cause instanceof Error)) break;
    if (cause.message) detail = cause.message;
    current = cause;
  }
  return detail.slice(0, 200);
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
