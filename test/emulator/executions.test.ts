import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask, waitForExecution, type Body } from './api.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function withTask(options: EmulatorOptions, urls = ['https://shop.example/p/1']) {
  emulator = await startEmulator({ scheduler: false, ...options });
  const task = (await call(emulator, 'POST', '/tasks', classicTask({ urls }))).body.data;
  return { target: emulator, task };
}

/** Waits until the execution reports `status`. */
async function waitForStatus(target: Emulator, id: string, status: string): Promise<Body> {
  for (let i = 0; i < 500; i++) {
    const execution = (await call(target, 'GET', `/executions/${id}`)).body.data;
    if (execution.status === status) return execution;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`execution ${id} never reached ${status}`);
}

describe('executions', () => {
  it('runs a task: 201 with a queued execution, then running, then completed with counts', async () => {
    const urls = ['https://a.example/1', 'https://b.example/2', 'https://c.example/3'];
    const { target, task } = await withTask({ queueDelayMs: 30, urlDurationMs: 30 }, urls);
    const run = await call(target, 'POST', `/tasks/${task.id}/run`);
    expect(run.status).toBe(201);
    expect(run.body.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      task_id: task.id,
      status: 'queued',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      started_at: null,
      finished_at: null,
      urls_total: 3,
      urls_done: 0,
      urls_failed: 0,
      error: null,
    });
    await waitForStatus(target, run.body.data.id, 'running');
    const done = await waitForExecution(target, run.body.data.id);
    expect(done).toMatchObject({ status: 'completed', urls_done: 3, urls_failed: 0, error: null });
    expect(done.started_at <= done.finished_at).toBe(true);
    expect(done.updated_at > run.body.data.updated_at).toBe(true);
  });

  it('POST /executions takes {task_id}; the secret payload is accepted and never echoed', async () => {
    const { target, task } = await withTask({ queueDelayMs: 0, urlDurationMs: 0 });
    const secret = { api_key: 'sk-very-secret-value' };
    const created = await call(target, 'POST', '/executions', { task_id: task.id, secret_payload: secret });
    expect(created.status).toBe(201);
    expect(created.body.data.task_id).toBe(task.id);
    const viaRun = await call(target, 'POST', `/tasks/${task.id}/run`, { secret_payload: secret });
    expect(viaRun.status).toBe(201);
    for (const answer of [
      created,
      viaRun,
      await call(target, 'GET', `/executions/${created.body.data.id}`),
    ]) {
      expect(answer.text).not.toContain('sk-very-secret-value');
      expect(answer.text).not.toContain('secret_payload');
    }
    expect((await call(target, 'POST', '/executions', {})).body.error.message).toMatch(/^task_id: /);
    expect(
      (await call(target, 'POST', '/executions', { task_id: task.id, secret_payload: 'x' })).status,
    ).toBe(400);
    expect((await call(target, 'POST', `/tasks/${task.id}/run`, { priority: 1 })).body.error.message).toMatch(
      /^priority: /,
    );
    expect((await call(target, 'POST', '/executions', { task_id: 'missing' })).status).toBe(404);
  });

  it('fails URLs on fail. hosts: some → completed_with_errors, all → failed', async () => {
    const { target, task } = await withTask({ queueDelayMs: 0, urlDurationMs: 0 }, [
      'https://ok.example/1',
      'https://fail.example/2',
    ]);
    const partial = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    expect(await waitForExecution(target, partial.id)).toMatchObject({
      status: 'completed_with_errors',
      urls_done: 1,
      urls_failed: 1,
      error: expect.stringContaining('1 of 2'),
    });
    await call(target, 'PATCH', `/tasks/${task.id}`, {
      urls: ['https://fail.shop.example/a', 'https://fail.example/b'],
    });
    const failed = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    expect(await waitForExecution(target, failed.id)).toMatchObject({
      status: 'failed',
      urls_failed: 2,
      error: expect.any(String),
    });
  });

  it('pauses and resumes a queued execution back to queued', async () => {
    const { target, task } = await withTask({ queueDelayMs: 60_000 });
    const execution = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    const paused = await call(target, 'POST', `/executions/${execution.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.data.status).toBe('paused');
    expect((await call(target, 'POST', `/executions/${execution.id}/pause`)).status).toBe(400);
    const resumed = await call(target, 'POST', `/executions/${execution.id}/resume`);
    expect(resumed.body.data.status).toBe('queued');
    expect((await call(target, 'POST', `/executions/${execution.id}/resume`)).status).toBe(400);
  });

  it('makes no progress while paused, and finishes every URL once resumed', async () => {
    const urlDurationMs = 30;
    const urls = Array.from({ length: 10 }, (_, i) => `https://shop.example/p/${i}`);
    const { target, task } = await withTask({ queueDelayMs: 0, urlDurationMs }, urls);
    const execution = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    await waitForStatus(target, execution.id, 'running');
    const paused = (await call(target, 'POST', `/executions/${execution.id}/pause`)).body.data;
    expect(paused.status).toBe('paused');
    expect(paused.urls_done).toBeLessThan(urls.length);

    await new Promise((resolve) => setTimeout(resolve, 5 * urlDurationMs));
    const still = (await call(target, 'GET', `/executions/${execution.id}`)).body.data;
    expect(still).toMatchObject({ status: 'paused', urls_done: paused.urls_done, urls_failed: 0 });
    const results = (await call(target, 'GET', `/executions/${execution.id}/results`)).body.data;
    expect(results).toMatchObject({ ready: false, record_count: paused.urls_done * 2 });

    expect((await call(target, 'POST', `/executions/${execution.id}/resume`)).body.data.status).toBe(
      'running',
    );
    expect(await waitForExecution(target, execution.id)).toMatchObject({
      status: 'completed',
      urls_done: urls.length,
      urls_failed: 0,
    });
  });

  it('pauses a running execution, resumes it to running, stops it', async () => {
    const { target, task } = await withTask({ queueDelayMs: 0, urlDurationMs: 60_000 });
    const execution = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    await waitForStatus(target, execution.id, 'running');
    expect((await call(target, 'POST', `/executions/${execution.id}/pause`)).body.data.status).toBe('paused');
    expect((await call(target, 'POST', `/executions/${execution.id}/resume`)).body.data.status).toBe(
      'running',
    );
    const stopped = await call(target, 'POST', `/executions/${execution.id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body.data).toMatchObject({ status: 'cancelled', finished_at: expect.any(String) });
    for (const action of ['pause', 'resume', 'stop']) {
      const answer = await call(target, 'POST', `/executions/${execution.id}/${action}`);
      expect(answer.status, action).toBe(400);
      expect(answer.body.error.code).toBe('BAD_REQUEST');
    }
  });

  it('lists executions newest first, per task and overall, with status filter and pagination', async () => {
    emulator = await startEmulator({ scheduler: false, queueDelayMs: 60_000, maxPageSize: 2 });
    const one = (await call(emulator, 'POST', '/tasks', classicTask({ name: 'one' }))).body.data;
    const two = (await call(emulator, 'POST', '/tasks', classicTask({ name: 'two' }))).body.data;
    const ids: string[] = [];
    for (const task of [one, two, one])
      ids.push((await call(emulator, 'POST', `/tasks/${task.id}/run`)).body.data.id);
    await call(emulator, 'POST', `/executions/${ids[0]}/stop`);

    const all = await call(emulator, 'GET', '/executions?limit=10');
    expect(all.body.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(all.body.pagination).toEqual({ total: 3, limit: 2, offset: 0, has_more: true });
    const rest = await call(emulator, 'GET', '/executions?offset=2');
    expect(rest.body.data.map((e: { id: string }) => e.id)).toEqual([ids[0]]);

    const ofOne = await call(emulator, 'GET', `/tasks/${one.id}/executions`);
    expect(ofOne.body.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[0]]);
    const filtered = await call(emulator, 'GET', `/executions?task_id=${one.id}&status=cancelled`);
    expect(filtered.body.data.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect((await call(emulator, 'GET', '/executions?status=done')).body.error.message).toMatch(/^status: /);
    expect((await call(emulator, 'GET', '/tasks/missing/executions')).status).toBe(404);
  });
});
