/**
 * The request pipeline: count → inject faults (hang, latency, 5xx, throttling) → route → authenticate →
 * rate-limit → authorise → handle → log the changes → answer (or drop the connection after committing). Every
 * answer is an envelope except raw exports and media.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, HttpError, matchRoute, readJsonBody, type Reply, type Route } from './http.js';
import type { RateDecision, RateLimiter } from './limits.js';
import type { ResolvedOptions } from './options.js';
import type { StatsRecorder } from './stats.js';

export interface PipelineDeps {
  routes: readonly Route[];
  options: ResolvedOptions;
  stats: StatsRecorder;
  rateLimiter: RateLimiter | undefined;
  /** Sockets of requests left hanging on purpose, destroyed on close. */
  hanging: Set<Socket>;
  log: ((line: string) => void) | undefined;
  /** Makes the changes a request made durable (the change log); called before its answer goes out. */
  commit: () => void;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createRequestHandler(deps: PipelineDeps) {
  const scopesByToken = new Map(deps.options.tokens.map((t) => [t.token, new Set(t.scopes)]));
  const { options, stats } = deps;
  const chance = (share: number): boolean => share > 0 && options.random() < share;

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const started = Date.now();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const match = matchRoute(deps.routes, method, url.pathname);
    stats.request(match.key);

    if (chance(options.hangRate)) {
      stats.fault('hangs');
      deps.hanging.add(request.socket);
      request.socket.once('close', () => deps.hanging.delete(request.socket));
      return;
    }
    if (options.latencyMs > 0) await delay(options.latencyMs);
    // A late commit reads the create at once and carries it out later, whether or not its client still waits.
    const lateBody =
      options.lateCommitMs > 0 && match.key === 'POST /api/v1/tasks' ? readJsonBody(request) : undefined;
    lateBody?.catch(() => undefined);
    if (lateBody !== undefined) await delay(options.lateCommitMs);
    const dropAfterCommit = WRITE_METHODS.has(method) && chance(options.dropAfterCommit);

    let reply: Reply;
    let rate: RateDecision | undefined;
    try {
      const token = tokenOf(request);
      const scopes = token !== undefined ? scopesByToken.get(token) : undefined;
      rate = deps.rateLimiter?.take(scopes ? `token:${token}` : `ip:${request.socket.remoteAddress ?? ''}`);
      reply = await answer(request, url, match, token, scopes, rate, lateBody);
    } catch (error) {
      reply = errorReply(error);
    }
    deps.commit();

    if (dropAfterCommit && reply.status < 400) {
      stats.fault('drops');
      request.socket.destroy();
      return;
    }
    addRateHeaders(reply, rate, options.retryAfter, options.now);
    stats.answer(reply.status);
    await send(response, reply);
    deps.log?.(`${method} ${url.pathname} ${reply.status} ${Date.now() - started}ms`);
  };

  async function answer(
    request: IncomingMessage,
    url: URL,
    match: ReturnType<typeof matchRoute>,
    token: string | undefined,
    scopes: Set<string> | undefined,
    rate: RateDecision | undefined,
    lateBody?: Promise<unknown>,
  ): Promise<Reply> {
    if (chance(options.faultRate)) return injectedFault(stats, options.random);
    if (rate && !rate.allowed) {
      throw new HttpError(429, 'TOO_MANY_REQUESTS', 'rate limit exceeded', {
        'X-RateLimit-Reset': String(rate.resetSeconds),
      });
    }
    if (chance(options.throttleRate)) {
      // A throttling storm: the budget is fine but the service sheds load for about a second.
      throw new HttpError(429, 'TOO_MANY_REQUESTS', 'rate limit exceeded', {
        'X-RateLimit-Reset': String(Math.floor(options.now().getTime() / 1000) + 1),
      });
    }
    if (!match.route) {
      if (match.allowed.length > 0) {
        throw new HttpError(
          405,
          'NOT_IMPLEMENTED', // the docs list no code for 405: the nearest documented one
          `${request.method ?? ''} is not supported on this path`,
          {
            Allow: match.allowed.join(', '),
          },
        );
      }
      throw new HttpError(404, 'NOT_FOUND', `no route for ${url.pathname}`);
    }
    if (token === undefined)
      throw new HttpError(401, 'UNAUTHORIZED', 'missing credentials: send Authorization: Bearer <token>');
    if (!scopes) throw new HttpError(401, 'UNAUTHORIZED', 'invalid or unknown token');
    const route = match.route;
    if (!route.scopes.some((scope) => scopes.has(scope))) {
      throw new HttpError(403, 'FORBIDDEN', `token lacks the scope ${route.scopes.join(' or ')}`);
    }
    const body = await (lateBody ?? readJsonBody(request));
    return route.handler({
      method: route.method,
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      token,
      scopes,
      body,
    });
  }
}

function tokenOf(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1] : '';
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) {
    return {
      kind: 'json',
      status: error.status,
      body: errorBody(error.code, error.message),
      headers: error.headers,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'json',
    status: 500,
    body: errorBody('INTERNAL_SERVER_ERROR', `emulator error: ${message}`),
  };
}

/** A 500 envelope, a proxy's HTML 502, or an empty 503. */
function injectedFault(stats: StatsRecorder, random: () => number): Reply {
  stats.fault('errors');
  const pick = Math.floor(random() * 3);
  if (pick === 0)
    return { kind: 'json', status: 500, body: errorBody('INTERNAL_SERVER_ERROR', 'injected fault') };
  if (pick === 1) {
    return {
      kind: 'raw',
      status: 502,
      headers: { 'Content-Type': 'text/html' },
      body: Buffer.from(
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n',
      ),
    };
  }
  return { kind: 'raw', status: 503, headers: {}, body: Buffer.alloc(0) };
}

/** Budget headers on every answer when limiting is on; on a 429 the reset time (and Retry-After if asked). */
function addRateHeaders(
  reply: Reply,
  rate: RateDecision | undefined,
  retryAfter: boolean,
  now: () => Date,
): void {
  const headers = (reply.headers ??= {});
  if (rate) {
    headers['X-RateLimit-Limit'] = String(rate.limit);
    headers['X-RateLimit-Remaining'] = String(rate.remaining);
  }
  if (reply.status !== 429) return;
  if (rate) headers['X-RateLimit-Reset'] ??= String(rate.resetSeconds);
  const reset = Number(headers['X-RateLimit-Reset']);
  if (retryAfter && Number.isFinite(reset)) {
    headers['Retry-After'] = String(Math.max(1, reset - Math.floor(now().getTime() / 1000)));
  }
}

async function send(response: ServerResponse, reply: Reply): Promise<void> {
  if (reply.kind === 'json') {
    const text = JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      ...reply.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
    });
    response.end(text);
    return;
  }
  response.writeHead(reply.status, reply.headers);
  if (Buffer.isBuffer(reply.body)) {
    response.end(reply.body);
    return;
  }
  for (const chunk of reply.body) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await drained(response);
  }
  response.end();
}

const drained = (response: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
