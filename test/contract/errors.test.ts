/** Refusals over real HTTP: 401, 403 with the scope named, 400 for every invalid body class with the field named. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/core/model.js';
import { ALL_SCOPES, type Emulator } from '../../src/emulator/index.js';
import { createClient } from '../../src/io/api/client.js';
import {
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from '../../src/io/api/errors.js';
import { apiCallSpec, classicSpec, clientFor, planSpec, routeCount, contractEmulator } from './harness.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await contractEmulator({
    tokens: [
      { token: 'full-access-token', scopes: [...ALL_SCOPES] },
      { token: 'read-only-token', scopes: ['tasks:read'] },
    ],
  });
});
afterAll(() => emulator.close());

describe('authentication and scopes', () => {
  it('401: an unknown token is rejected with a message that says to check TITAN_TOKEN', async () => {
    const client = createClient({ origin: emulator.url, token: 'not-a-known-token' });
    const failure = client.listAllTasks();
    await expect(failure).rejects.toThrow(UnauthorizedError);
    await expect(failure).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      method: 'GET',
      path: expect.stringMatching(/^\/api\/v1\/tasks/),
    });
    await expect(failure).rejects.toThrow(
      /the Task Service rejected the token \(401 UNAUTHORIZED.*check TITAN_TOKEN/,
    );
  });

  it('403: a token without the scope is refused, and the message names the scope', async () => {
    const reader = createClient({ origin: emulator.url, token: 'read-only-token' });
    await expect(reader.listAllTasks()).resolves.toEqual([]);
    const create = reader.createTask(classicSpec('x'));
    await expect(create).rejects.toThrow(ForbiddenError);
    await expect(create).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN', scope: 'tasks:write' });
    await expect(create).rejects.toThrow(/lacks the scope tasks:write/);
    const listExecutions = reader.listExecutions();
    await expect(listExecutions).rejects.toMatchObject({ scope: 'executions:read' });
    expect(emulator.remote.taskCount()).toBe(0);
  });

  it('404: a missing task or execution is NotFoundError', async () => {
    const client = clientFor(emulator);
    await expect(client.getTask('00000000-0000-4000-8000-000000000000')).rejects.toThrow(NotFoundError);
    await expect(client.getExecution('nope')).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

const classic = classicSpec('Valid');
const invalid = (patch: Record<string, unknown>, base: TaskSpec = classic): TaskSpec => {
  const spec: Record<string, unknown> = { ...base, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete spec[key];
  return spec as unknown as TaskSpec;
};

/** Every invalid body class of titan-api.md A2, with the field the 400 must name. */
const invalidBodies: [string, TaskSpec, string][] = [
  ['missing name', invalid({ name: undefined }), 'name'],
  ['empty name', invalid({ name: '' }), 'name'],
  ['missing urls', invalid({ urls: undefined }), 'urls'],
  ['empty urls', invalid({ urls: [] }), 'urls'],
  ['a non-http url', invalid({ urls: ['ftp://files.example/x'] }), 'urls[0]'],
  ['missing objective', invalid({ objective: undefined }), 'objective'],
  ['missing output_schema', invalid({ output_schema: undefined }), 'output_schema'],
  ['an output_schema that is not an object', invalid({ output_schema: 'title' }), 'output_schema'],
  [
    'an output_schema that does not compile',
    invalid({ output_schema: { type: 'nonsense' } }),
    'output_schema',
  ],
  ['missing execution_type', invalid({ execution_type: undefined }), 'execution_type'],
  ['an unknown execution_type', invalid({ execution_type: 'weekly' }), 'execution_type'],
  ['scheduled without schedule', invalid({ schedule: undefined }), 'schedule'],
  ['a 6-field cron', invalid({ schedule: '0 0 * * * *' }), 'schedule'],
  ['an invalid cron', invalid({ schedule: '61 * * * *' }), 'schedule'],
  ['a schedule on a single task', invalid({ execution_type: 'single' }), 'schedule'],
  ['an invalid proxy location', invalid({ proxy_locations: ['USA'] }), 'proxy_locations[0]'],
  ['template_id with template_slug', invalid({ template_id: 'x' }), 'template_slug'],
  ['an unknown template_slug', invalid({ template_slug: 'no-such-template' }), 'template_slug'],
  ['an unknown template_id', invalid({ template_slug: undefined, template_id: 'no-such-id' }), 'template_id'],
  ['an unknown action_type', invalid({ action_type: 'download' }, apiCallSpec('m')), 'action_type'],
  ['missing input_source', invalid({ input_source: undefined }, apiCallSpec('m')), 'input_source'],
  ['an unknown input_source', invalid({ input_source: 'inbox' }, apiCallSpec('m')), 'input_source'],
  [
    'a scrape without output_schema',
    invalid({ action_type: 'scrape', template_slug: undefined }, apiCallSpec('m')),
    'output_schema',
  ],
  ['a payload that is not an object', invalid({ payload: [1, 2] }, apiCallSpec('m')), 'payload'],
  ['limits that are not an object', invalid({ limits: 5 }, apiCallSpec('m')), 'limits'],
  ['a plan without steps', invalid({ execution_plan: { steps: [] } }, planSpec('p')), 'execution_plan.steps'],
  [
    'a plan whose first step reads previous_step',
    invalid(
      { execution_plan: { steps: [{ action_type: 'scrape', input_source: 'previous_step' }] } },
      planSpec('p'),
    ),
    'execution_plan.steps[0].input_source',
  ],
  ['a plan with top-level action_type', invalid({ action_type: 'search' }, planSpec('p')), 'action_type'],
];

describe('400 on every invalid body class, naming the field', () => {
  it.each(invalidBodies)('create with %s → 400 naming %s', async (_label, spec, field) => {
    const before = routeCount(emulator, 'POST /api/v1/tasks');
    const failure = clientFor(emulator).createTask(spec);
    await expect(failure).rejects.toThrow(BadRequestError);
    await expect(failure).rejects.toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      method: 'POST',
      path: '/api/v1/tasks',
    });
    const error = (await failure.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`${field}:`);
    expect(routeCount(emulator, 'POST /api/v1/tasks')).toBe(before + 1); // a 400 is never retried
  });

  it.each(invalidBodies.filter(([, , field]) => !field.startsWith('execution_plan')).slice(0, 8))(
    'update with %s → 400 naming %s, task unchanged',
    async (_label, spec, field) => {
      const client = clientFor(emulator);
      const task = await client.createTask(spec.action_type ? apiCallSpec('ok') : classic);
      const failure = client.updateTask(task.id, spec);
      await expect(failure).rejects.toThrow(BadRequestError);
      await expect(failure).rejects.toThrow(`${field}:`);
      expect((await client.getTask(task.id)).spec).toEqual(task.spec);
    },
  );
});
