import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/core/json.js';
import { ApiError } from '../../../src/io/api/errors.js';
import { parseListPage, readAllPages, type ListPage } from '../../../src/io/api/list.js';

const items = (n: number, from = 0): JsonObject[] =>
  Array.from({ length: n }, (_, i) => ({ id: `t${from + i}` }));

describe('list page shapes', () => {
  it('reads a bare array with pagination beside it', () => {
    const page = parseListPage({
      success: true,
      data: items(2),
      pagination: { total: 9, limit: 2, offset: 0, has_more: true },
    });
    expect(page).toEqual({ items: items(2), total: 9, hasMore: true, limit: 2 });
  });

  it('reads {items, total} and other item keys', () => {
    expect(parseListPage({ success: true, data: { items: items(1), total: 4 } })).toEqual({
      items: items(1),
      total: 4,
    });
    expect(parseListPage({ success: true, data: { tasks: items(1), has_more: false } })).toEqual({
      items: items(1),
      hasMore: false,
    });
    expect(parseListPage({ success: true, data: items(3), total: 3 })).toEqual({ items: items(3), total: 3 });
  });

  it('reads a list with no metadata at all, and refuses data that holds no item list', () => {
    expect(parseListPage({ success: true, data: [] })).toEqual({ items: [] });
    expect(parseListPage({ success: true, data: { id: 'x' } })).toBeUndefined();
    expect(parseListPage({ success: true, data: [1, 2] })).toBeUndefined();
  });
});

/** An in-memory list served like a server that clamps pages and may omit metadata. */
function served(
  all: JsonObject[],
  options: { clamp: number; meta: 'pagination' | 'total' | 'none' },
): { fetchPage: (offset: number, limit: number) => Promise<ListPage>; calls: number[] } {
  const calls: number[] = [];
  const fetchPage = async (offset: number, limit: number): Promise<ListPage> => {
    calls.push(offset);
    const size = Math.min(limit, options.clamp);
    const page: ListPage = { items: all.slice(offset, offset + size) };
    if (options.meta === 'pagination')
      Object.assign(page, { total: all.length, hasMore: offset + size < all.length, limit: size });
    if (options.meta === 'total') page.total = all.length;
    return page;
  };
  return { fetchPage, calls };
}

describe('reading every page', () => {
  for (const meta of ['pagination', 'total', 'none'] as const) {
    for (const n of [0, 1, 6, 7, 8, 50]) {
      it(`collects ${n} items through a page size clamped to 7 (${meta})`, async () => {
        const { fetchPage, calls } = served(items(n), { clamp: 7, meta });
        const read = await readAllPages(fetchPage, { pageSize: 100, path: '/api/v1/tasks', strict: true });
        expect(read).toEqual(items(n));
        expect(calls).toEqual(calls.map((_, i) => Math.min(i * 7, n))); // advances by what each page held
        expect(calls.length).toBeLessThanOrEqual(Math.floor(n / 7) + 2);
      });
    }
  }

  it('stops when a server that ignores offset sends the whole list again', async () => {
    const read = await readAllPages(async () => ({ items: items(3) }), {
      pageSize: 100,
      path: '/x',
      strict: true,
    });
    expect(read).toEqual(items(3));
  });

  it('starts again when total changes mid-read, and succeeds once it holds still', async () => {
    let reads = 0;
    const fetchPage = async (offset: number): Promise<ListPage> => {
      if (offset === 0) reads += 1;
      const all = items(reads === 1 && offset > 0 ? 12 : 10);
      return { items: all.slice(offset, offset + 5), total: all.length };
    };
    const read = await readAllPages(fetchPage, { pageSize: 5, path: '/api/v1/tasks', strict: true });
    expect(read).toEqual(items(10));
    expect(reads).toBe(2);
  });

  it('fails closed after three reads that all moved, never returning a partial list', async () => {
    let total = 10;
    const fetchPage = async (offset: number): Promise<ListPage> => ({
      items: items(10).slice(offset, offset + 5),
      total: total++,
    });
    const read = readAllPages(fetchPage, { pageSize: 5, path: '/api/v1/tasks', strict: true });
    await expect(read).rejects.toThrow(ApiError);
    await expect(read).rejects.toMatchObject({ code: 'LIST_CHANGED' });
    // Each read asks at once for the pages its first page's total announces: 2 of 10, then 3 of 12 and of 14.
    expect(total).toBe(10 + 2 + 3 + 3);
  });

  it('asks for up to 4 pages at once once the first page tells the total, and keeps their order', async () => {
    let inFlight = 0;
    let most = 0;
    const calls: number[] = [];
    const fetchPage = async (offset: number): Promise<ListPage> => {
      calls.push(offset);
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, offset === 10 ? 5 : 1)); // answers out of order
      inFlight--;
      return { items: items(47).slice(offset, offset + 5), total: 47, limit: 5 };
    };
    const read = await readAllPages(fetchPage, { pageSize: 5, path: '/api/v1/tasks', strict: true });
    expect(read).toEqual(items(47));
    expect(most).toBe(4);
    expect([...calls].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i * 5));
  });

  it('drops what it read ahead and goes on a page at a time when a page ends elsewhere than planned', async () => {
    const calls: number[] = [];
    // The server sends 5 items on the first page, then clamps to 3 without saying so.
    const fetchPage = async (offset: number): Promise<ListPage> => {
      calls.push(offset);
      return { items: items(20).slice(offset, offset + (offset === 0 ? 5 : 3)), total: 20 };
    };
    const read = await readAllPages(fetchPage, { pageSize: 5, path: '/api/v1/tasks', strict: true });
    expect(read).toEqual(items(20));
    expect(calls.slice(0, 4)).toEqual([0, 5, 10, 15]); // the first page, then the 3 its total announces
    expect(calls.slice(4)).toEqual([8, 11, 14, 17]); // then from where each page actually ended
  });

  it('a lenient read stops at its item limit', async () => {
    const { fetchPage } = served(items(30), { clamp: 10, meta: 'pagination' });
    const read = await readAllPages(fetchPage, { pageSize: 10, path: '/x', strict: false, maxItems: 15 });
    expect(read).toEqual(items(15));
  });

  it('a lenient read drops the repeats of a list that grows at its head while it is read', async () => {
    // Two items arrive between the pages: the second page starts 2 items early and repeats the end of the first.
    const fetchPage = async (offset: number): Promise<ListPage> => ({
      items: items(20).slice(offset === 0 ? 0 : offset - 2, offset === 0 ? 10 : offset + 8),
    });
    const read = await readAllPages(fetchPage, { pageSize: 10, path: '/x', strict: false });
    expect(read.map((item) => item.id)).toEqual(items(20).map((item) => item.id));
  });
});
