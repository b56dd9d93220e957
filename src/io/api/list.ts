/**
 * The tolerant list reader (titan-api.md A2). Pages may come as a bare array or `{items, total}`, with a
 * `pagination` object, with `total`/`has_more`, or with no metadata at all, and the server may clamp the page
 * size. The reader advances by what it actually got and never returns a partial list: a read whose `total`
 * moves, or whose pages overlap, is started again, and after three tries it fails.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json.js';
import { ApiError } from './errors.js';

export interface ListPage {
  items: JsonObject[];
  total?: number;
  hasMore?: boolean;
  /** The page size the server says it used (after clamping). */
  limit?: number;
}

const ITEM_KEYS = ['items', 'tasks', 'executions', 'results', 'data'];

/** A page from a success envelope, or undefined when no item array can be found in it. */
export function parseListPage(envelope: JsonObject): ListPage | undefined {
  const data = envelope.data;
  const container = isJsonObject(data) ? data : undefined;
  const rawItems = Array.isArray(data) ? data : itemsIn(container);
  if (rawItems === undefined || !rawItems.every(isJsonObject)) return undefined;
  const meta = [envelope.pagination, container?.pagination, container, envelope.meta, envelope].filter(
    isJsonObject,
  );
  const page: ListPage = { items: rawItems as JsonObject[] };
  const total = firstNumber(meta, ['total', 'total_count', 'count']);
  if (total !== undefined) page.total = total;
  const hasMore = firstBoolean(meta, ['has_more', 'hasMore']);
  if (hasMore !== undefined) page.hasMore = hasMore;
  const limit = firstNumber([envelope.pagination, container?.pagination].filter(isJsonObject), ['limit']);
  if (limit !== undefined && limit > 0) page.limit = limit;
  return page;
}

function itemsIn(container: JsonObject | undefined): JsonValue[] | undefined {
  if (container === undefined) return undefined;
  for (const key of ITEM_KEYS) {
    const value = container[key];
    if (Array.isArray(value)) return value;
  }
  return undefined;
}

function firstNumber(sources: JsonObject[], keys: string[]): number | undefined {
  for (const source of sources) {
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    }
  }
  return undefined;
}

function firstBoolean(sources: JsonObject[], keys: string[]): boolean | undefined {
  for (const source of sources) {
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'boolean') return value;
    }
  }
  return undefined;
}

export interface ReadPagesOptions {
  pageSize: number;
  /** For error messages: `/api/v1/tasks`. */
  path: string;
  /**
   * Strict reads (tasks) start again when the list moves under them and fail after `maxTries`. Lenient reads
   * (executions, which the scheduler keeps adding) drop duplicates and keep going.
   */
  strict: boolean;
  /** Stop once this many items were collected (lenient reads only). */
  maxItems?: number;
  maxTries?: number;
}

type FetchPage = (offset: number, limit: number) => Promise<ListPage>;

/** Every item of the list, in server order. */
export async function readAllPages(fetchPage: FetchPage, options: ReadPagesOptions): Promise<JsonObject[]> {
  const maxTries = options.maxTries ?? 3;
  let lastProblem = '';
  for (let attempt = 1; attempt <= (options.strict ? maxTries : 1); attempt++) {
    const outcome = await readOnce(fetchPage, options);
    if (outcome.items !== undefined) return outcome.items;
    lastProblem = outcome.problem;
  }
  throw new ApiError({
    method: 'GET',
    path: options.path,
    status: undefined,
    code: 'LIST_CHANGED',
    message: `the list GET ${options.path} changed while it was read (${lastProblem}), ${maxTries} times in a row: nothing was decided from it`,
    hint: 'Another client is changing tasks right now; try again when it is done.',
  });
}

/** Pages requested at once once the first page tells how many there are (a strict read with a `total`). */
const PAGES_IN_FLIGHT = 4;

/**
 * Pages by offset, read ahead: with network latency a large list would otherwise cost a round trip per page,
 * one after the other. The reader still takes the pages in order and checks each as before; when a page ends
 * elsewhere than planned (the list moved), what was read ahead is dropped and reading goes on one at a time.
 */
class PageSource {
  private readonly ahead = new Map<number, Promise<ListPage>>();
  private planned: number[] = [];

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly pageSize: number,
  ) {}

  /** Reads ahead the pages at `offset`, `offset + step`, … below `total`. */
  readAhead(offset: number, step: number, total: number): void {
    for (let next = offset; next < total && step > 0; next += step) this.planned.push(next);
    this.topUp();
  }

  get(offset: number): Promise<ListPage> {
    const page = this.ahead.get(offset);
    if (page === undefined) {
      this.drop();
      return this.fetchPage(offset, this.pageSize);
    }
    this.ahead.delete(offset);
    // The next page is asked for once this one is in: never more than PAGES_IN_FLIGHT requests at a time.
    return page.finally(() => this.topUp());
  }

  /** Forgets what was read ahead (its failures included: nobody awaits them). */
  drop(): void {
    for (const page of this.ahead.values()) page.catch(() => undefined);
    this.ahead.clear();
    this.planned = [];
  }

  private topUp(): void {
    while (this.ahead.size < PAGES_IN_FLIGHT && this.planned.length > 0) {
      const offset = this.planned.shift() as number;
      this.ahead.set(offset, this.fetchPage(offset, this.pageSize));
    }
  }
}

async function readOnce(
  fetchPage: FetchPage,
  options: ReadPagesOptions,
): Promise<{ items: JsonObject[]; problem?: undefined } | { items?: undefined; problem: string }> {
  const pages = new PageSource(fetchPage, options.pageSize);
  try {
    return await readPagesInOrder(pages, options);
  } finally {
    pages.drop();
  }
}

async function readPagesInOrder(
  pages: PageSource,
  options: ReadPagesOptions,
): Promise<{ items: JsonObject[]; problem?: undefined } | { items?: undefined; problem: string }> {
  const items: JsonObject[] = [];
  const seen = new Set<string>();
  let firstTotal: number | undefined;
  let effectivePageSize = options.pageSize;
  for (let offset = 0, pageNumber = 0; ; pageNumber++) {
    const page = await pages.get(offset);
    if (pageNumber === 0) firstTotal = page.total;
    else if (options.strict && page.total !== undefined && page.total !== firstTotal) {
      return { problem: `its total went from ${firstTotal ?? 'unknown'} to ${page.total}` };
    }
    const fresh = page.items.filter((item) => !seen.has(idOf(item)));
    if (
      page.items.length > 0 &&
      fresh.length === 0 &&
      page.total === undefined &&
      page.hasMore === undefined
    ) {
      break; // the server ignores `offset` and sent everything again: the list was complete
    }
    if (options.strict && fresh.length !== page.items.length) {
      return { problem: 'a page repeated items of an earlier page' };
    }
    for (const item of fresh) {
      seen.add(idOf(item));
      items.push(item);
      if (options.maxItems !== undefined && items.length >= options.maxItems) return { items };
    }
    offset += page.items.length;
    if (pageNumber === 0) effectivePageSize = Math.min(page.limit ?? options.pageSize, options.pageSize);
    if (pageNumber === 0 && page.items.length > 0 && page.limit === undefined) {
      // No stated limit: a short first page may be a silently clamped one, so its size is the page size.
      effectivePageSize = Math.min(effectivePageSize, page.items.length);
    }
    if (isLastPage(page, offset, effectivePageSize)) break;
    if (!options.strict && fresh.length === 0) break;
    if (pageNumber === 0 && options.strict && page.total !== undefined)
      pages.readAhead(offset, effectivePageSize, page.total);
  }
  if (options.strict && firstTotal !== undefined && items.length !== firstTotal) {
    return { problem: `it announced ${firstTotal} items but ${items.length} came` };
  }
  return { items };
}

function isLastPage(page: ListPage, offset: number, pageSize: number): boolean {
  if (page.items.length === 0) return true;
  if (page.hasMore === false) return true;
  if (page.total !== undefined && offset >= page.total) return true;
  if (page.hasMore === undefined && page.total === undefined && page.items.length < pageSize) return true;
  return false;
}

const idOf = (item: JsonObject): string => (typeof item.id === 'string' ? item.id : JSON.stringify(item));
