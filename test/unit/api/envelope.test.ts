import { describe, expect, it } from 'vitest';
import { errorFromAnswer, readEnvelope } from '../../../src/io/api/envelope.js';
import {
  AmbiguousWriteError,
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
} from '../../../src/io/api/errors.js';
import type { HttpAnswer } from '../../../src/io/api/http.js';

const TOKEN = 'tok-SECRET-0123456789';

const answer = (status: number, text: string, extra: Partial<HttpAnswer> = {}): HttpAnswer => ({
  method: 'GET',
  path: '/api/v1/tasks',
  status,
  headers: new Headers(),
  text,
  attempts: 1,
  ...extra,
});
const envelopeError = (code: string, message: string): string =>
  JSON.stringify({ success: false, error: { code, message } });

describe('reading the envelope', () => {
  it('returns the whole success envelope only when the status is 2xx and success is true', () => {
    const body = { success: true, data: [], pagination: { total: 0 } };
    expect(readEnvelope(answer(200, JSON.stringify(body)), { token: TOKEN })).toEqual(body);
  });

  it('treats success: false inside a 200 as the error its code names', () => {
    const error = errorFromAnswer(answer(200, envelopeError('NOT_FOUND', 'task x not found')), {
      token: TOKEN,
    });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(() =>
      readEnvelope(answer(200, envelopeError('BAD_REQUEST', 'name: required')), { token: TOKEN }),
    ).toThrow(BadRequestError);
  });

  it('reports a 200 that is not an envelope as an invalid answer with an excerpt', () => {
    expect(() => readEnvelope(answer(200, '<html>Login</html>'), { token: TOKEN })).toThrow(ServerError);
    expect(() => readEnvelope(answer(200, '<html>Login</html>'), { token: TOKEN })).toThrow(/"Login"/);
  });

  it('reports an unreadable success of a creating POST as an ambiguous write', () => {
    const created = answer(201, '', { method: 'POST' });
    expect(() => readEnvelope(created, { token: TOKEN, creates: true })).toThrow(AmbiguousWriteError);
  });
});

describe('errors by kind, with actionable messages', () => {
  it('401 names the token variable and carries method, path, status and code', () => {
    const error = errorFromAnswer(answer(401, envelopeError('UNAUTHORIZED', 'invalid or unknown token')), {
      token: TOKEN,
    });
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(error.message).toContain('the Task Service rejected the token (401 UNAUTHORIZED');
    expect(error.message).toContain('check TITAN_TOKEN');
    expect(error).toMatchObject({ method: 'GET', path: '/api/v1/tasks', status: 401, code: 'UNAUTHORIZED' });
    expect(error.exitCode).toBe(1);
  });

  it('403 names the missing scope when the server says which', () => {
    const error = errorFromAnswer(
      answer(403, envelopeError('FORBIDDEN', 'token lacks the scope tasks:write')),
      {
        token: TOKEN,
      },
    );
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).scope).toBe('tasks:write');
    expect(error.message).toContain('lacks the scope tasks:write');
    const either = errorFromAnswer(
      answer(403, envelopeError('FORBIDDEN', 'token lacks the scope tasks:write or executions:write')),
      { token: TOKEN },
    );
    expect((either as ForbiddenError).scope).toBe('tasks:write or executions:write');
  });

  it('403 without a named scope lists the scopes to check', () => {
    const error = errorFromAnswer(answer(403, envelopeError('FORBIDDEN', 'nope')), { token: TOKEN });
    expect(error.hint).toContain('tasks:read');
  });

  it('survives an HTML 502 and an empty 503, reporting status and a short excerpt', () => {
    const html =
      '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
    const bad = errorFromAnswer(answer(502, html, { attempts: 6 }), { token: TOKEN });
    expect(bad).toBeInstanceOf(ServerError);
    expect(bad.message).toContain('502 BAD_GATEWAY');
    expect(bad.message).toContain('"502 Bad Gateway 502 Bad Gateway"');
    expect(bad.message).toContain('after 6 attempts');
    const empty = errorFromAnswer(answer(503, ''), { token: TOKEN });
    expect(empty.message).toContain('503 SERVICE_UNAVAILABLE');
    expect(empty.message).toContain('(empty body)');
  });

  it('keeps long non-JSON bodies to a short excerpt', () => {
    const error = errorFromAnswer(answer(500, 'x'.repeat(10_000)), { token: TOKEN });
    expect(error.message.length).toBeLessThan(300);
  });

  it('a 5xx on a creating POST leaves its outcome open, a 501 does not', () => {
    const post = { method: 'POST' as const, path: '/api/v1/tasks' };
    expect(errorFromAnswer(answer(502, 'bad gateway', post), { token: TOKEN, creates: true })).toBeInstanceOf(
      AmbiguousWriteError,
    );
    expect(errorFromAnswer(answer(501, '', post), { token: TOKEN, creates: true })).toBeInstanceOf(
      ServerError,
    );
    expect(errorFromAnswer(answer(500, '', post), { token: TOKEN })).toBeInstanceOf(ServerError);
  });

  it('tells a spent daily quota from rate limiting', () => {
    const quota = errorFromAnswer(answer(429, envelopeError('TOO_MANY_REQUESTS', 'preview_limit_exceeded')), {
      token: TOKEN,
    });
    expect(quota).toBeInstanceOf(RateLimitedError);
    expect((quota as RateLimitedError).quota).toBe('preview_limit_exceeded');
    const busy = errorFromAnswer(
      answer(429, envelopeError('TOO_MANY_REQUESTS', 'rate limit exceeded'), { attempts: 6 }),
      {
        token: TOKEN,
      },
    );
    expect((busy as RateLimitedError).quota).toBeUndefined();
    expect(busy.message).toContain('6 attempts');
  });

  it('400 carries the server message that names the field', () => {
    const error = errorFromAnswer(
      answer(400, envelopeError('BAD_REQUEST', 'urls[0]: must be an http(s) URL')),
      {
        token: TOKEN,
      },
    );
    expect(error.message).toContain('urls[0]: must be an http(s) URL');
  });

  it('other statuses are plain API errors', () => {
    const error = errorFromAnswer(answer(405, envelopeError('METHOD_NOT_ALLOWED', 'use PUT')), {
      token: TOKEN,
    });
    expect(error.constructor).toBe(ApiError);
    expect(error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('never repeats the token, even when the server echoes it', () => {
    const bodies = [
      envelopeError('UNAUTHORIZED', `unknown token ${TOKEN}`),
      envelopeError('BAD_REQUEST', `bad ${TOKEN}`),
      `<html><body>token=${TOKEN}</body></html>`,
      `${'x'.repeat(110)}${TOKEN}`,
    ];
    for (const [i, text] of bodies.entries()) {
      const error = errorFromAnswer(answer([401, 400, 502, 500][i] ?? 500, text), { token: TOKEN });
      expect(`${error.message}\n${error.hint ?? ''}\n${error.stack ?? ''}`).not.toContain(TOKEN);
      expect(`${error.message}\n${error.stack ?? ''}`).not.toContain(TOKEN.slice(0, 8));
    }
  });
});
