import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator, useEmulator } from '../helpers/emulator.js';
import { call, classicTask } from './api.js';

describe('tasks: create, read, update, delete', () => {
  const emulator = useEmulator({ scheduler: false });

  it('creates a task with 201 and the full task in the envelope', async () => {
    const answer = await call(emulator(), 'POST', '/tasks', classicTask());
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.success).toBe(true);
    const task = answer.body.data;
    expect(task).toMatchObject({ ...classicTask(), status: 'active' });
    expect(task.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(task.created_at).toBe(task.updated_at);
    expect(new Date(task.created_at).toISOString().slice(0, 19)).toBe(task.created_at.slice(0, 19));
    expect(task.created_at.endsWith('Z')).toBe(true);

    const read = await call(emulator(), 'GET', `/tasks/${task.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ success: true, data: task });
  });

  it('accepts the documented modular and multi-step bodies', async () => {
    const search = {
      name: 'Nightly patent news discovery',
      objective: 'Find recent patent news',
      execution_type: 'single',
      urls: ['https://example.com/seed-blog'],
      action_type: 'search',
      input_source: 'static_urls',
      template_slug: 'example-search-template',
      limits: { max_results: 25 },
    };
    const apiCall = {
      name: 'Shipping quotes API pull',
      objective: 'POST to the carrier quote API and normalize the JSON response',
      execution_type: 'single',
      urls: ['https://api.carrier.example/v1/quotes'],
      action_type: 'api_call',
      input_source: 'static_urls',
      template_slug: 'carrier-quote-json',
      payload: { origin_zip: '94107', destination_zip: '10001', weight_kg: 12.5 },
      limits: { timeout_seconds: 20, max_retries: 2 },
    };
    const plan = {
      name: 'Search then scrape',
      objective: 'Discover then extract',
      execution_type: 'scheduled',
      schedule: '0 6 * * 1',
      urls: ['https://search.example/?q=widgets'],
      execution_plan: {
        steps: [
          { action_type: 'search', input_source: 'static_urls', limits: { max_results: 5 } },
          {
            action_type: 'scrape',
            input_source: 'previous_step',
            template_slug: 'product-page',
            output_schema: { type: 'object', properties: { title: { type: 'string' } } },
          },
        ],
      },
    };
    for (const body of [search, apiCall, plan]) {
      const answer = await call(emulator(), 'POST', '/tasks', body);
      expect(answer.status, answer.text).toBe(201);
      expect(answer.body.data).toMatchObject(body);
    }
  });

  it('PATCH merges, a null removes a field, and updated_at strictly increases', async () => {
    const created = (await call(emulator(), 'POST', '/tasks', classicTask({ proxy_locations: ['US', 'DE'] })))
      .body.data;
    const patched = await call(emulator(), 'PATCH', `/tasks/${created.id}`, {
      objective: 'New objective',
      proxy_locations: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data.objective).toBe('New objective');
    expect(patched.body.data).not.toHaveProperty('proxy_locations');
    expect(patched.body.data.name).toBe(created.name);
    expect(patched.body.data.updated_at > created.updated_at).toBe(true);
    expect(patched.body.data.created_at).toBe(created.created_at);

    const stamps = [patched.body.data.updated_at];
    for (let i = 0; i < 5; i++) {
      stamps.push(
        (await call(emulator(), 'PATCH', `/tasks/${created.id}`, { name: `n${i}` })).body.data.updated_at,
      );
    }
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it('PUT replaces the whole definition (a field left out is removed)', async () => {
    const created = (await call(emulator(), 'POST', '/tasks', classicTask({ proxy_locations: ['FR'] }))).body
      .data;
    const replacement = classicTask({
      name: 'Replaced',
      execution_type: 'scheduled',
      schedule: '*/15 * * * *',
    });
    const put = await call(emulator(), 'PUT', `/tasks/${created.id}`, replacement);
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject(replacement);
    expect(put.body.data).not.toHaveProperty('proxy_locations');
    expect(put.body.data.status).toBe('active');
  });

  it('validates the merged result of a PATCH', async () => {
    const created = (await call(emulator(), 'POST', '/tasks', classicTask())).body.data;
    const answer = await call(emulator(), 'PATCH', `/tasks/${created.id}`, { execution_type: 'scheduled' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^schedule:/);
    const unchanged = await call(emulator(), 'GET', `/tasks/${created.id}`);
    expect(unchanged.body.data.updated_at).toBe(created.updated_at);
  });

  it('soft-deletes: GET still answers with status deleted, a second delete is 404', async () => {
    const created = (await call(emulator(), 'POST', '/tasks', classicTask())).body.data;
    const deleted = await call(emulator(), 'DELETE', `/tasks/${created.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toEqual({ id: created.id, status: 'deleted' });
    const read = await call(emulator(), 'GET', `/tasks/${created.id}`);
    expect(read.status).toBe(200);
    expect(read.body.data.status).toBe('deleted');
    expect((await call(emulator(), 'DELETE', `/tasks/${created.id}`)).status).toBe(404);
    expect((await call(emulator(), 'PATCH', `/tasks/${created.id}`, { name: 'x' })).status).toBe(404);
    expect((await call(emulator(), 'POST', `/tasks/${created.id}/run`)).status).toBe(404);
  });

  it('answers 404 NOT_FOUND for unknown tasks and unknown paths', async () => {
    const missing = await call(emulator(), 'GET', '/tasks/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      success: false,
      error: { code: 'NOT_FOUND', message: expect.any(String) },
    });
    expect((await call(emulator(), 'GET', '/nothing-here')).body.error.code).toBe('NOT_FOUND');
  });
});

describe('tasks: the update-verb switch', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => emulator?.close());

  it.each([
    ['patch', 'PUT'],
    ['put', 'PATCH'],
  ] as const)('with updateMethod %s, %s answers 405 and changes nothing', async (allowed, refused) => {
    emulator = await startEmulator({ updateMethod: allowed, scheduler: false });
    const created = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    const answer = await call(emulator, refused, `/tasks/${created.id}`, classicTask({ name: 'changed' }));
    expect(answer.status).toBe(405);
    expect(answer.body.success).toBe(false);
    expect(answer.body.error.code).toBe('NOT_IMPLEMENTED'); // only documented codes: none is listed for 405
    expect((await call(emulator, 'GET', `/tasks/${created.id}`)).body.data.name).toBe(created.name);
    const accepted = await call(
      emulator,
      allowed.toUpperCase(),
      `/tasks/${created.id}`,
      classicTask({ name: 'changed' }),
    );
    expect(accepted.status).toBe(200);
    expect(accepted.body.data.name).toBe('changed');
  });
});

describe('tasks: how a refused update verb is answered', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => emulator?.close());

  it.each([
    [501, 'NOT_IMPLEMENTED', /PATCH is not supported/],
    [404, 'NOT_FOUND', /^Cannot PATCH \/api\/v1\/tasks\//],
  ] as const)('answers %i %s when asked', async (refusedUpdateStatus, code, message) => {
    emulator = await startEmulator({ updateMethod: 'put', refusedUpdateStatus, scheduler: false });
    const created = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    const answer = await call(emulator, 'PATCH', `/tasks/${created.id}`, classicTask({ name: 'changed' }));
    expect(answer.status).toBe(refusedUpdateStatus);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toMatch(message);
  });
});

describe('tasks: switched-off features', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => emulator?.close());

  it('answers 404 NOT_FOUND for the routes of datasets and media, and for a task with an execution plan', async () => {
    emulator = await startEmulator({
      disabledFeatures: ['datasets', 'media', 'execution-plans'],
      scheduler: false,
    });
    const created = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    for (const path of [`/tasks/${created.id}/datasets`, '/executions/e1/datasets', '/executions/e1/media']) {
      const answer = await call(emulator, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.error.code).toBe('NOT_FOUND');
      expect(answer.body.error.message).toMatch(/not enabled/);
    }
    const plan = await call(emulator, 'POST', '/tasks', {
      name: 'Plan',
      execution_type: 'single',
      urls: ['https://example.com/'],
      execution_plan: { steps: [{ action_type: 'search', input_source: 'static_urls' }] },
    });
    expect(plan.status).toBe(404);
    expect(plan.body.error.message).toMatch(/execution-plans are not enabled/);
  });
});

describe('tasks: the create-status switch', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => emulator?.close());

  it.each([200, 202] as const)('answers every create with %i when asked', async (createStatus) => {
    emulator = await startEmulator({ createStatus, scheduler: false });
    const created = await call(emulator, 'POST', '/tasks', classicTask());
    expect(created.status).toBe(createStatus);
    expect(created.body.data.name).toBe(classicTask().name);
    expect((await call(emulator, 'POST', `/tasks/${created.body.data.id}/run`)).status).toBe(createStatus);
    const triggered = await call(emulator, 'POST', '/executions', { task_id: created.body.data.id });
    expect(triggered.status).toBe(createStatus);
    expect((await call(emulator, 'POST', '/tasks', {})).status).toBe(400);
  });
});
