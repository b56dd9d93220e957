/** The small HTTP toolkit the emulator's routes use: replies, errors, JSON bodies, routing by pattern. */
import type { IncomingMessage } from 'node:http';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { ListMeta } from './types.js';

/** A reply the server sends (or, for injected faults, does not). */
export type Reply =
  | { kind: 'json'; status: number; body: JsonObject; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: Buffer | Iterable<string> };

export const ok = (data: JsonValue, status = 200, extra: JsonObject = {}): Reply => ({
  kind: 'json',
  status,
  body: { success: true, data, ...extra },
});

export const errorBody = (code: string, message: string): JsonObject => ({
  success: false,
  error: { code, message },
});

/** An error answer, thrown by handlers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'BAD_REQUEST', message);
export const notFound = (message: string): HttpError => new HttpError(404, 'NOT_FOUND', message);

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  token: string;
  scopes: ReadonlySet<string>;
  /** The parsed JSON body; undefined when the body is empty. */
  body: unknown;
}

export type Handler = (context: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  /** Any one of these scopes grants access. */
  scopes: readonly string[];
  handler: Handler;
  segments: string[];
}

export const route = (
  method: string,
  pattern: string,
  scopes: readonly string[],
  handler: Handler,
): Route => ({
  method,
  pattern,
  scopes,
  handler,
  segments: pattern.split('/').filter(Boolean),
});

export interface RouteMatch {
  route?: Route;
  params: Record<string, string>;
  /** Methods the path supports (for 405). */
  allowed: string[];
  /** `METHOD /pattern` for stats, or `METHOD (unknown)`. */
  key: string;
}

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
  const parts = path.split('/').filter(Boolean);
  const allowed: string[] = [];
  let found: { route: Route; params: Record<string, string> } | undefined;
  let pattern: string | undefined;
  for (const candidate of routes) {
    const params = matchSegments(candidate.segments, parts);
    if (!params) continue;
    pattern ??= candidate.pattern;
    allowed.push(candidate.method);
    if (candidate.method === method && !found) found = { route: candidate, params };
  }
  if (found) return { ...found, allowed, key: `${method} ${found.route.pattern}` };
  return { params: {}, allowed, key: `${method} ${pattern ?? '(unknown)'}` };
}

function matchSegments(
  segments: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    const part = parts[i] as string;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (segment !== part) return undefined;
  }
  return params;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Reads and parses a JSON body; an empty body is `undefined`. */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'BAD_REQUEST', 'body: larger than 5 MB');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('body: is not valid JSON');
  }
}

/** Parses `limit`/`offset` like every list endpoint: default 50, clamped silently to the maximum page size. */
export function parsePaging(query: URLSearchParams, maxPageSize: number): { limit: number; offset: number } {
  const limit = parseIntParam(query, 'limit', 1) ?? 50;
  const offset = parseIntParam(query, 'offset', 0) ?? 0;
  return { limit: Math.min(limit, maxPageSize), offset };
}

function parseIntParam(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || !Number.isSafeInteger(Number(raw))) {
    throw badRequest(`${name}: must be an integer >= ${min}`);
  }
  return Number(raw);
}

/** A list answer in the configured shape and with the configured paging metadata (titan-api.md A2). */
export function listReply(
  items: JsonValue[],
  page: { total: number; limit: number; offset: number },
  shape: 'array' | 'object',
  meta: ListMeta,
): Reply {
  const hasMore = page.offset + items.length < page.total;
  const loose: JsonObject = {};
  if (meta === 'total') loose.total = page.total;
  if (meta === 'total' || meta === 'has-more') loose.has_more = hasMore;
  if (shape === 'object') {
    return ok(meta === 'pagination' ? { items, total: page.total } : { items, ...loose });
  }
  if (meta !== 'pagination') return ok(items, 200, loose);
  return ok(items, 200, {
    pagination: { total: page.total, limit: page.limit, offset: page.offset, has_more: hasMore },
  });
}
