/**
 * Reading every task through a service that clamps pages to 7 items (titan-api.md A2), and failing closed when
 * the list keeps moving under the reader.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { createBodyFromSpec } from '../../src/core/task-body.js';
import { ApiError } from '../../src/io/api/errors.js';
import { classicSpec, clientFor, routeCount, contractEmulator } from './harness.js';

const LIST = 'GET /api/v1/tasks';
let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function seeded(
  count: number,
  options: EmulatorOptions,
): Promise<{ emulator: Emulator; ids: string[] }> {
  emulator = await contractEmulator({ maxPageSize: 7, ...options });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(String(emulator.remote.createTask(createBodyFromSpec(classicSpec(`task ${i}`))).id));
  }
  return { emulator, ids };
}

describe.each(['array', 'object'] as const)('pagination (list shape %s, max page size 7)', (listShape) => {
  it.each([0, 1, 6, 7, 8, 1000])('reads all of %i tasks, one request per page', async (count) => {
    const { emulator, ids } = await seeded(count, { listShape });
    const client = clientFor(emulator);
    const tasks = await client.listAllTasks(); // asks for 100 per page; the service silently gives 7
    expect(tasks.map((task) => task.id)).toEqual(ids);
    expect(routeCount(emulator, LIST)).toBe(Math.max(1, Math.ceil(count / 7)));
  });
});

/**
 * Requests a full read of `count` items takes with pages of 7 when the answers say nothing but the items: a full
 * last page needs an empty one after it, and a short first page may be a clamped one, so it is followed up too.
 */
const requestsWithoutCount = (count: number): number =>
  count > 0 && count < 7 ? 2 : Math.floor(count / 7) + 1;

describe.each(
  (['array', 'object'] as const).flatMap((listShape) =>
    (['total', 'has-more', 'none'] as const).map((listMeta) => ({ listShape, listMeta })),
  ),
)('pagination (list shape $listShape, paging metadata $listMeta, max page size 7)', (variant) => {
  it.each([0, 1, 6, 7, 8, 1000])('reads all of %i tasks', async (count) => {
    const { emulator, ids } = await seeded(count, variant);
    const tasks = await clientFor(emulator).listAllTasks();
    expect(tasks.map((task) => task.id)).toEqual(ids);
    const pages = Math.max(1, Math.ceil(count / 7));
    expect(routeCount(emulator, LIST)).toBe(
      variant.listMeta === 'none' ? requestsWithoutCount(count) : pages,
    );
  });
});

describe('a list that changes while it is read', () => {
  it('is read again from the start when its total changes, and the result is the new list', async () => {
    let added: string | undefined;
    const { emulator, ids } = await seeded(20, {
      onListPage: (page, remote) => {
        if (page.index === 1) added = String(remote.createTask(createBodyFromSpec(classicSpec('late'))).id);
      },
    });
    const tasks = await clientFor(emulator).listAllTasks();
    expect(tasks.map((task) => task.id)).toEqual([...ids, added]);
    // The first read asks for its 3 pages at once (read ahead from the first page's total), then all 3 of 21.
    expect(routeCount(emulator, LIST)).toBe(3 + 3);
  });

  it('a task deleted between pages is not skipped or kept', async () => {
    let victim: string | undefined;
    const { emulator, ids } = await seeded(20, {
      onListPage: (page, remote) => {
        if (page.index === 2) {
          victim = ids[0];
          remote.deleteTask(victim as string);
        }
      },
    });
    const tasks = await clientFor(emulator).listAllTasks();
    expect(tasks.map((task) => task.id)).toEqual(ids.filter((id) => id !== victim));
  });

  it('fails closed after three reads that all moved: an error, never a partial list', async () => {
    const { emulator } = await seeded(20, {
      onListPage: (page, remote) => {
        if (page.offset > 0) remote.createTask(createBodyFromSpec(classicSpec('churn')));
      },
    });
    const read = clientFor(emulator).listAllTasks();
    await expect(read).rejects.toThrow(ApiError);
    await expect(read).rejects.toMatchObject({ code: 'LIST_CHANGED' });
    await expect(read).rejects.toThrow(/changed while it was read/);
    // Each read asks at once for the pages its first page's total announces (3, then 4 and 4 as the list grows).
    expect(routeCount(emulator, LIST)).toBe(3 + 4 + 4);
  });

  it('survives the emulator switch for remote edits between pages, then fails closed when they never stop', async () => {
    const { emulator, ids } = await seeded(20, { editDuringList: 2 });
    const tasks = await clientFor(emulator).listAllTasks();
    expect(tasks).toHaveLength(22);
    expect(tasks.slice(0, 20).map((task) => task.id)).toEqual(ids);
    expect(tasks.slice(20).map((task) => task.name)).toEqual(['Remote edit 1', 'Remote edit 2']);
    expect(routeCount(emulator, LIST)).toBe(3 + 3 + 4); // two moved reads of 3 pages, then 22 tasks in 4 pages
    await emulator.close();

    const { emulator: churning } = await seeded(20, { editDuringList: 3 });
    await expect(clientFor(churning).listAllTasks()).rejects.toMatchObject({ code: 'LIST_CHANGED' });
  });
});
