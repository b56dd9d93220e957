/**
 * Task round trips under every list/update variant of titan-api.md A2: whatever shape the list has, whichever
 * update verb the service accepts, a create → read → update (removing optional fields) → delete cycle ends with
 * the remote task exactly equal to the desired one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepEqual, type JsonObject } from '../../src/core/json.js';
import type { TaskSpec } from '../../src/core/model.js';
import type { Emulator } from '../../src/emulator/index.js';
import { NotFoundError } from '../../src/io/api/errors.js';
import type { TaskServiceClient } from '../../src/core/service/types.js';
import { apiCallSpec, classicSpec, clientFor, planSpec, routeCount, contractEmulator } from './harness.js';

const shapes = ['array', 'object'] as const;
const itemKinds = ['full', 'summary'] as const;
const deletedListed = [false, true];
const verbs = ['patch', 'put', 'both'] as const;
const combinations = shapes.flatMap((shape) =>
  itemKinds.flatMap((items) =>
    deletedListed.flatMap((deleted) => verbs.map((verb) => ({ shape, items, deleted, verb }))),
  ),
);

/** Each desired spec, and the next desired spec that drops optional fields it had. */
const lifecycles: { first: TaskSpec; next: TaskSpec }[] = [
  {
    first: classicSpec('Prices'),
    next: {
      name: 'Prices (daily)',
      execution_type: 'single',
      urls: ['https://shop.example/p/1'],
      objective: 'Extract the product title',
      output_schema: { type: 'object', properties: { title: { type: 'string' } } },
    }, // schedule, proxy_locations and template_slug removed
  },
  {
    first: apiCallSpec('Quotes'),
    next: { ...withoutKeys(apiCallSpec('Quotes'), ['payload']), limits: { timeout_seconds: 30 } },
  },
  {
    first: planSpec('Patent news'),
    next: {
      name: 'Patent news',
      execution_type: 'single',
      urls: ['https://example.com/seed-blog'],
      execution_plan: {
        steps: [
          { action_type: 'search', input_source: 'static_urls' },
          { action_type: 'scrape', input_source: 'previous_step', output_schema: { type: 'object' } },
        ],
      },
    }, // objective, step template and limits removed
  },
];

function withoutKeys(spec: TaskSpec, keys: (keyof TaskSpec)[]): TaskSpec {
  const copy: Record<string, unknown> = { ...spec };
  for (const key of keys) delete copy[key];
  return copy as unknown as TaskSpec;
}

async function expectRemoteEquals(client: TaskServiceClient, id: string, desired: TaskSpec): Promise<void> {
  const live = await client.getTask(id);
  expect(live.spec).toBeDefined();
  expect(
    deepEqual(live.spec, desired),
    `remote ${JSON.stringify(live.spec)} != desired ${JSON.stringify(desired)}`,
  ).toBe(true);
}

describe.each(combinations)(
  'tasks: list $shape/$items, deleted listed $deleted, update via $verb',
  (variant) => {
    let emulator: Emulator;
    let client: TaskServiceClient;

    beforeAll(async () => {
      emulator = await contractEmulator({
        listShape: variant.shape,
        listItems: variant.items,
        listDeleted: variant.deleted,
        updateMethod: variant.verb,
        maxPageSize: 7,
      });
      client = clientFor(emulator);
    });
    afterAll(() => emulator.close());

    it('create, read, list, update (removing optional fields), restore and delete end equal to the desired spec', async () => {
      for (const { first, next } of lifecycles) {
        const created = await client.createTask(first);
        expect(created.id).not.toBe('');
        expect(created.status).toBe('active');
        await expectRemoteEquals(client, created.id, first);

        const listed = (await client.listAllTasks()).find((task) => task.id === created.id);
        expect(listed?.name).toBe(first.name);
        if (variant.items === 'full') expect(deepEqual(listed?.spec, first)).toBe(true);
        else expect(listed?.spec).toBeUndefined(); // a summary: the caller fetches the full task when it needs it

        const updated = await client.updateTask(created.id, next);
        expect(deepEqual(updated.spec, next)).toBe(true);
        await expectRemoteEquals(client, created.id, next);

        await client.updateTask(created.id, first); // adding the fields back works too
        await expectRemoteEquals(client, created.id, first);

        expect(await client.deleteTask(created.id)).toBe('deleted');
        await expect(client.getTask(created.id)).rejects.toThrow(NotFoundError);
        expect((await client.listAllTasks()).map((task) => task.id)).not.toContain(created.id);
        expect(await client.deleteTask(created.id)).toBe('already-gone');
      }
    });

    it('uses the verb the service accepts, falling back from PATCH to PUT once for the client’s life', () => {
      const patches = routeCount(emulator, 'PATCH /api/v1/tasks/:id');
      const puts = routeCount(emulator, 'PUT /api/v1/tasks/:id');
      if (variant.verb === 'put') {
        expect(patches).toBe(1);
        expect(puts).toBe(2 * lifecycles.length);
      } else {
        expect(patches).toBe(2 * lifecycles.length);
        expect(puts).toBe(0);
      }
    });
  },
);

describe.each([200, 201, 202] as const)('a service that answers creates with %i', (createStatus) => {
  let emulator: Emulator;
  let client: TaskServiceClient;
  beforeAll(async () => {
    emulator = await contractEmulator({ createStatus });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('creates tasks and starts executions through the client all the same', async () => {
    const created = await client.createTask(classicSpec('Created'));
    await expectRemoteEquals(client, created.id, classicSpec('Created'));
    const run = await client.runTask(created.id);
    expect(run).toMatchObject({ task_id: created.id, status: 'queued' });
    const triggered = await client.createExecution(created.id);
    expect(triggered.id).not.toBe(run.id);
    expect((await client.getExecution(triggered.id)).task_id).toBe(created.id);
    expect(emulator.stats().byStatus[String(createStatus)]).toBeGreaterThanOrEqual(3);
  });
});

describe.each([501, 404] as const)('a service that refuses PATCH with %i', (refusedUpdateStatus) => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await contractEmulator({ updateMethod: 'put', refusedUpdateStatus });
  });
  afterAll(() => emulator.close());

  it('is updated with PUT, and PATCH is not tried again for the rest of the run', async () => {
    const client = clientFor(emulator);
    const first = await client.createTask(classicSpec('First'));
    const second = await client.createTask(apiCallSpec('Second'));
    const gets = routeCount(emulator, 'GET /api/v1/tasks/:id');
    await client.updateTask(first.id, { ...classicSpec('First'), objective: 'Extract the title only' });
    await client.updateTask(second.id, { ...apiCallSpec('Second'), limits: { timeout_seconds: 30 } });
    await expectRemoteEquals(client, first.id, {
      ...classicSpec('First'),
      objective: 'Extract the title only',
    });
    expect(routeCount(emulator, 'PATCH /api/v1/tasks/:id')).toBe(1);
    expect(routeCount(emulator, 'PUT /api/v1/tasks/:id')).toBe(2);
    // A 404 is checked once with a GET of the same task (it exists: the verb was refused); a 501 needs no check.
    expect(routeCount(emulator, 'GET /api/v1/tasks/:id') - gets).toBe(refusedUpdateStatus === 404 ? 2 : 1);
  });

  it('still reports a task that is really gone as gone', async () => {
    const client = clientFor(emulator);
    const task = await client.createTask(classicSpec('Gone'));
    expect(await client.deleteTask(task.id)).toBe('deleted');
    await expect(client.updateTask(task.id, classicSpec('Gone'))).rejects.toThrow(NotFoundError);
  });
});

describe('list summaries that carry some task fields', () => {
  it('are still read as summaries (a full read follows), so an unchanged task shows no update', async () => {
    const { liveTaskFromBody } = await import('../../src/core/task-body.js');
    const summary = {
      id: 't1',
      name: 'Quotes',
      status: 'active',
      action_type: 'api_call',
      execution_type: 'single',
    };
    expect(liveTaskFromBody(summary).spec).toBeUndefined();
    const full = { id: 't1', status: 'active', ...apiCallSpec('Quotes') } as unknown as JsonObject;
    expect(liveTaskFromBody(full).spec).toEqual(apiCallSpec('Quotes'));
    const plan = {
      id: 't2',
      status: 'active',
      name: 'Plan',
      execution_type: 'single',
      execution_plan: { steps: [] },
    };
    expect(liveTaskFromBody(plan).spec).toBeDefined();
  });
});

describe('a service with execution plans switched off', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await contractEmulator({ disabledFeatures: ['execution-plans'] });
  });
  afterAll(() => emulator.close());

  it('answers a plan task with 404 naming the switched-off feature, and other tasks as usual', async () => {
    const client = clientFor(emulator);
    const refused = client.createTask(planSpec('Plan'));
    await expect(refused).rejects.toThrow(NotFoundError);
    await expect(refused).rejects.toThrow(/not enabled/);
    await expect(client.createTask(classicSpec('Classic'))).resolves.toMatchObject({ status: 'active' });
  });
});
