import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask } from './api.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function withTasks(count: number, options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await startEmulator({ scheduler: false, ...options });
  for (let i = 0; i < count; i++)
    emulator.remote.createTask(classicTask({ name: `task-${String(i).padStart(5, '0')}` }));
  return emulator;
}

/** Reads every page the way a careful client would, returning the names and the number of requests. */
async function readAll(
  target: Emulator,
  limit: number,
  query = '',
): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  for (let offset = 0; ;) {
    const answer = await call(target, 'GET', `/tasks?limit=${limit}&offset=${offset}${query}`);
    pages++;
    expect(answer.status).toBe(200);
    const items: { name: string }[] = answer.body.data;
    names.push(...items.map((item) => item.name));
    offset += items.length;
    if (!answer.body.pagination.has_more) break;
  }
  return { names, pages };
}

describe('task list', () => {
  it('defaults: array of full tasks with pagination beside data, oldest first', async () => {
    const target = await withTasks(3);
    const answer = await call(target, 'GET', '/tasks');
    expect(answer.body.success).toBe(true);
    expect(answer.body.data.map((t: { name: string }) => t.name)).toEqual([
      'task-00000',
      'task-00001',
      'task-00002',
    ]);
    expect(answer.body.data[0]).toMatchObject(classicTask({ name: 'task-00000' }));
    expect(answer.body.pagination).toEqual({ total: 3, limit: 50, offset: 0, has_more: false });
  });

  it.each([0, 1, 6, 7, 8, 1000])(
    'pages through %i tasks with max page size 7, clamping larger limits',
    async (count) => {
      const target = await withTasks(count, { maxPageSize: 7 });
      const first = await call(target, 'GET', '/tasks?limit=50');
      expect(first.body.data.length).toBe(Math.min(7, count));
      expect(first.body.pagination).toMatchObject({ total: count, limit: 7, offset: 0, has_more: count > 7 });
      const { names, pages } = await readAll(target, 50);
      expect(names).toEqual(Array.from({ length: count }, (_, i) => `task-${String(i).padStart(5, '0')}`));
      expect(pages).toBe(Math.max(1, Math.ceil(count / 7)));
    },
  );

  it('serves 10,000 tasks in pages of 1,000 in ten requests', async () => {
    const target = await withTasks(10_000, { maxPageSize: 1000 });
    const { names, pages } = await readAll(target, 1000);
    expect(names.length).toBe(10_000);
    expect(new Set(names).size).toBe(10_000);
    expect(pages).toBe(10);
    expect(target.stats().byRoute['GET /api/v1/tasks']).toBe(10);
  });

  it('object shape: data is {items, total} and nothing else', async () => {
    const target = await withTasks(5, { listShape: 'object' });
    const answer = await call(target, 'GET', '/tasks?limit=2&offset=1');
    expect(Object.keys(answer.body).sort()).toEqual(['data', 'success']);
    expect(answer.body.data.total).toBe(5);
    expect(answer.body.data.items.map((t: { name: string }) => t.name)).toEqual(['task-00001', 'task-00002']);
  });

  it('summary items carry only the summary fields', async () => {
    const target = await withTasks(1, { listItems: 'summary' });
    const [item] = (await call(target, 'GET', '/tasks')).body.data;
    expect(Object.keys(item).sort()).toEqual([
      'created_at',
      'execution_type',
      'id',
      'name',
      'status',
      'updated_at',
    ]);
    const full = await call(target, 'GET', `/tasks/${item.id}`);
    expect(full.body.data.output_schema).toBeDefined();
  });

  it('omits deleted tasks unless status=deleted is asked, or the switch lists them anyway', async () => {
    const target = await withTasks(3);
    const [first] = (await call(target, 'GET', '/tasks')).body.data;
    await call(target, 'DELETE', `/tasks/${first.id}`);
    expect((await call(target, 'GET', '/tasks')).body.pagination.total).toBe(2);
    const deleted = await call(target, 'GET', '/tasks?status=deleted');
    expect(deleted.body.data.map((t: { id: string }) => t.id)).toEqual([first.id]);
    expect((await call(target, 'GET', '/tasks?status=active')).body.pagination.total).toBe(2);
    await target.close();

    const listing = await withTasks(2, { listDeleted: true });
    const [gone] = (await call(listing, 'GET', '/tasks')).body.data;
    await call(listing, 'DELETE', `/tasks/${gone.id}`);
    const all = await call(listing, 'GET', '/tasks');
    expect(all.body.pagination.total).toBe(2);
    expect(all.body.data[0]).toMatchObject({ id: gone.id, status: 'deleted' });
  });

  it('sorts by created_at, -created_at, updated_at, -updated_at and name', async () => {
    const target = await withTasks(0);
    const ids: string[] = [];
    for (const name of ['b', 'c', 'a'])
      ids.push(target.remote.createTask(classicTask({ name })).id as string);
    target.remote.updateTask(ids[0] as string, { objective: 'touched' });
    const order = async (sort: string) =>
      (await call(target, 'GET', `/tasks?sort=${sort}`)).body.data
        .map((t: { name: string }) => t.name)
        .join('');
    expect(await order('created_at')).toBe('bca');
    expect(await order('-created_at')).toBe('acb');
    expect(await order('updated_at')).toBe('cab');
    expect(await order('-updated_at')).toBe('bac');
    expect(await order('name')).toBe('abc');
  });

  it('rejects bad list parameters with a 400 naming the parameter', async () => {
    const target = await withTasks(0);
    for (const [query, field] of [
      ['sort=size', 'sort'],
      ['status=archived', 'status'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['offset=-1', 'offset'],
    ]) {
      const answer = await call(target, 'GET', `/tasks?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error).toMatchObject({
        code: 'BAD_REQUEST',
        message: expect.stringMatching(new RegExp(`^${field}:`)),
      });
    }
  });

  it('lets a test edit tasks remotely between list pages (the total changes mid-read)', async () => {
    const target = await withTasks(10, {
      maxPageSize: 4,
      onListPage: ({ index }, remote) => {
        if (index === 1) remote.createTask(classicTask({ name: 'late arrival' }));
      },
    });
    const first = await call(target, 'GET', '/tasks?limit=4');
    const second = await call(target, 'GET', '/tasks?limit=4&offset=4');
    expect(first.body.pagination.total).toBe(10);
    expect(second.body.pagination.total).toBe(11);
    expect(target.stats().byRoute['POST /api/v1/tasks']).toBeUndefined();
  });

  it.each([
    ['array', 'total', { total: 5, has_more: true }],
    ['array', 'has-more', { has_more: true }],
    ['array', 'none', {}],
  ] as const)(
    'list shape %s with paging metadata %s: exactly that beside data',
    async (listShape, listMeta, meta) => {
      const target = await withTasks(5, { listShape, listMeta });
      const answer = await call(target, 'GET', '/tasks?limit=2&offset=1');
      expect(answer.body).toEqual({ success: true, data: expect.any(Array), ...meta });
      expect(answer.body.data.map((t: { name: string }) => t.name)).toEqual(['task-00001', 'task-00002']);
    },
  );

  it.each([
    ['total', { total: 5, has_more: false }],
    ['has-more', { has_more: false }],
    ['none', {}],
  ] as const)(
    'object shape with paging metadata %s: exactly that beside the items',
    async (listMeta, meta) => {
      const target = await withTasks(5, { listShape: 'object', listMeta });
      const answer = await call(target, 'GET', '/tasks?limit=2&offset=3');
      expect(answer.body).toEqual({ success: true, data: { items: expect.any(Array), ...meta } });
      const executions = await call(target, 'GET', '/executions');
      expect(Object.keys(executions.body.data).sort()).toEqual(Object.keys({ items: [], ...meta }).sort());
    },
  );

  it('edits tasks remotely during the first N reads that go past page one (--edit-during-list)', async () => {
    const target = await withTasks(10, { maxPageSize: 4, editDuringList: 1 });
    const totals = async (): Promise<number[]> => [
      (await call(target, 'GET', '/tasks?limit=4')).body.pagination.total,
      (await call(target, 'GET', '/tasks?limit=4&offset=4')).body.pagination.total,
      (await call(target, 'GET', '/tasks?limit=4&offset=8')).body.pagination.total,
    ];
    expect(await totals()).toEqual([10, 11, 11]); // someone created a task before the second page
    expect(await totals()).toEqual([11, 11, 11]); // the one edit is spent
    const newest = (await call(target, 'GET', '/tasks?sort=-created_at&limit=1')).body.data;
    expect(newest.map((t: { name: string }) => t.name)).toEqual(['Remote edit 1']);
  });
});
