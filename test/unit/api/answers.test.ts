/**
 * Answers that are successes but lack what callers read: each is refused with a ServerError naming the missing
 * field, never cast and passed on (a scripted fetch stands in for a service the emulator cannot imitate here).
 */
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../src/core/json.js';
import { createClient } from '../../../src/io/api/client.js';
import { AmbiguousWriteError, ServerError } from '../../../src/io/api/errors.js';
import type { TaskServiceClient } from '../../../src/core/service/types.js';

/** A client whose every request is answered 200 with `data`. */
function answering(data: JsonValue, status = 200): TaskServiceClient {
  const fakeFetch = (async () =>
    new Response(JSON.stringify({ success: true, data }), {
      status,
      headers: { 'Content-Type': 'application/json' },
    })) as typeof fetch;
  return createClient({
    origin: 'http://127.0.0.1:9',
    token: 'secret-token',
    fetch: fakeFetch,
    maxAttempts: 1,
  });
}

const execution = { id: 'e1', task_id: 't1', status: 'queued', created_at: '2025-01-01T00:00:00Z' };
const template = { id: 'tpl1', slug: 'product-page', name: 'Product', action_type: 'scrape', defaults: {} };

describe('answers without the fields callers rely on', () => {
  it.each<[string, (client: TaskServiceClient) => Promise<unknown>, JsonValue, RegExp]>([
    ['an execution without status', (c) => c.getExecution('e1'), { id: 'e1' }, /data is missing "status"/],
    [
      'a listed execution without status',
      (c) => c.listExecutions(),
      [execution, { id: 'e2' }],
      /item 1 of data is missing "status"/,
    ],
    [
      'results metadata whose record_count is text',
      (c) => c.getResults('e1'),
      { ready: true, record_count: '12' },
      /"record_count" in data is not a number/,
    ],
    [
      'media without url',
      (c) => c.listMedia('e1'),
      [{ id: 'm1', size: 3 }],
      /item 0 of data is missing "url"/,
    ],
    ['a template without slug', (c) => c.getTemplate('tpl1'), { id: 'tpl1' }, /data is missing "slug"/],
    [
      'listed templates without id',
      (c) => c.listTemplates(),
      [{ slug: 'x' }],
      /item 0 of data is missing "id"/,
    ],
    ['a dataset without id', (c) => c.listTaskDatasets('t1'), [{ record_count: 2 }], /missing "id"/],
  ])('%s is a ServerError naming the field', async (_what, request, data, problem) => {
    const failure = request(answering(data));
    await expect(failure).rejects.toThrow(ServerError);
    await expect(failure).rejects.toThrow(
      /^unexpected answer from the Task Service: GET \/api\/v1\/\S+ answered 200/,
    );
    await expect(failure).rejects.toThrow(problem);
    await expect(failure).rejects.toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });

  it('a started execution without status is an ambiguous write: it may exist', async () => {
    const failure = answering({ id: 'e1' }, 201).runTask('t1');
    await expect(failure).rejects.toThrow(AmbiguousWriteError);
    await expect(failure).rejects.toThrow(/missing "status".*may or may not have taken effect/);
  });

  it('complete answers pass', async () => {
    await expect(answering(execution).getExecution('e1')).resolves.toEqual(execution);
    await expect(answering([template]).listTemplates()).resolves.toEqual([template]);
    await expect(answering({ ready: false, record_count: 0 }).getResults('e1')).resolves.toMatchObject({
      ready: false,
    });
  });
});

describe('answers lenient where the docs are silent', () => {
  it('accepts results metadata without ready and record_count (names the docs do not give)', async () => {
    const { renderResultsMetadata } = await import('../../../src/render/runtime.js');
    const meta = await answering({ execution_id: 'e1', status: 'completed' }).getResults('e1');
    expect(meta).toEqual({ execution_id: 'e1', status: 'completed' });
    const shown = renderResultsMetadata(meta);
    expect(shown).toContain('e1');
    expect(shown).not.toMatch(/Ready|Records|undefined/);
  });
});
