import { describe, expect, it } from 'vitest';
import { useEmulator } from '../helpers/emulator.js';
import { call, classicTask, waitForExecution } from './api.js';

const ALL = ['tasks:read', 'tasks:write', 'executions:read', 'executions:write', 'data:read'];

describe('authentication and scopes', () => {
  const emulator = useEmulator({
    scheduler: false,
    queueDelayMs: 0,
    urlDurationMs: 0,
    tokens: [
      { token: 'admin-token-1', scopes: ALL },
      { token: 'reader-token-1', scopes: ['tasks:read'] },
      { token: 'runner-token-1', scopes: ['executions:write'] },
      { token: 'no-scope-token', scopes: [] },
    ],
  });

  it('uses the first configured token as the emulator token', () => {
    expect(emulator().token).toBe('admin-token-1');
  });

  it('answers 401 UNAUTHORIZED without credentials or with an unknown token, never echoing it', async () => {
    for (const token of [null, 'wrong-token-123']) {
      const answer = await call(emulator(), 'GET', '/tasks', undefined, { token });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({
        success: false,
        error: { code: 'UNAUTHORIZED', message: expect.any(String) },
      });
      expect(answer.text).not.toContain('wrong-token-123');
    }
    const malformed = await call(emulator(), 'GET', '/tasks', undefined, {
      token: null,
      headers: { Authorization: 'Basic admin-token-1' },
    });
    expect(malformed.status).toBe(401);
  });

  it('accepts X-API-Key as well as Authorization: Bearer', async () => {
    const answer = await call(emulator(), 'GET', '/tasks', undefined, {
      token: null,
      headers: { 'X-API-Key': 'reader-token-1' },
    });
    expect(answer.status).toBe(200);
  });

  it('answers 403 FORBIDDEN when the token lacks the scope', async () => {
    const task = (await call(emulator(), 'POST', '/tasks', classicTask())).body.data;
    const reader = { token: 'reader-token-1' };
    expect((await call(emulator(), 'GET', `/tasks/${task.id}`, undefined, reader)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/tasks', classicTask()],
      ['PATCH', `/tasks/${task.id}`, { name: 'x' }],
      ['PUT', `/tasks/${task.id}`, classicTask()],
      ['DELETE', `/tasks/${task.id}`, undefined],
      ['POST', `/tasks/${task.id}/run`, undefined],
      ['GET', '/executions', undefined],
      ['POST', '/executions', { task_id: task.id }],
    ] as const) {
      const answer = await call(emulator(), method, path, body, reader);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    }
    expect((await call(emulator(), 'GET', '/tasks', undefined, { token: 'no-scope-token' })).status).toBe(
      403,
    );
  });

  it('lets executions:write run a task, and keeps results behind data:read', async () => {
    const task = (await call(emulator(), 'POST', '/tasks', classicTask())).body.data;
    const runner = { token: 'runner-token-1' };
    const run = await call(emulator(), 'POST', `/tasks/${task.id}/run`, undefined, runner);
    expect(run.status).toBe(201);
    expect((await call(emulator(), 'GET', `/executions/${run.body.data.id}`, undefined, runner)).status).toBe(
      403,
    );
    await waitForExecution(emulator(), run.body.data.id);
    for (const path of ['results', 'results/export', 'results/download', 'datasets', 'media']) {
      const answer = await call(
        emulator(),
        'GET',
        `/executions/${run.body.data.id}/${path}`,
        undefined,
        runner,
      );
      expect(answer.status, path).toBe(403);
    }
    expect((await call(emulator(), 'GET', `/executions/${run.body.data.id}/results`)).status).toBe(200);
  });
});
