import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask, waitForExecution } from './api.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const richSchema: JsonObject = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    price: { type: 'number', minimum: 1, maximum: 9 },
    in_stock: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    seller: { type: 'object', properties: { name: { type: 'string' }, rating: { type: 'integer' } } },
    image: { type: 'string', format: 'uri', contentMediaType: 'image/png' },
  },
};

async function finishedRun(options: EmulatorOptions, task: JsonObject) {
  emulator = await startEmulator({ scheduler: false, queueDelayMs: 0, urlDurationMs: 0, ...options });
  const created = (await call(emulator, 'POST', '/tasks', task)).body.data;
  const execution = (await call(emulator, 'POST', `/tasks/${created.id}/run`)).body.data;
  await waitForExecution(emulator, execution.id);
  return { target: emulator, task: created, execution };
}

async function download(target: Emulator, path: string): Promise<Response> {
  return fetch(`${target.url}/api/v1${path}`, { headers: { Authorization: `Bearer ${target.token}` } });
}

describe('results', () => {
  it('reports metadata, and exports json, ndjson and csv with their content types and file names', async () => {
    const urls = ['https://shop.example/1', 'https://fail.shop.example/2', 'https://shop.example/3'];
    const { target, execution } = await finishedRun(
      { recordsPerUrl: 3 },
      classicTask({ urls, output_schema: richSchema }),
    );
    const meta = await call(target, 'GET', `/executions/${execution.id}/results`);
    expect(meta.body.data).toEqual({
      execution_id: execution.id,
      status: 'completed_with_errors',
      ready: true,
      record_count: 6,
      formats: ['json', 'ndjson', 'csv'],
      completed_at: expect.any(String),
    });

    const json = await download(target, `/executions/${execution.id}/results/export`);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(json.headers.get('content-disposition')).toBe(`attachment; filename="${execution.id}.json"`);
    const records = (await json.json()) as JsonObject[];
    expect(records).toHaveLength(6);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(['title', 'price', 'in_stock', 'tags', 'seller', 'image']);
      expect(typeof record.title).toBe('string');
      expect(record.price).toBeGreaterThanOrEqual(1);
      expect(record.price).toBeLessThanOrEqual(9);
      expect(typeof record.in_stock).toBe('boolean');
      expect(Array.isArray(record.tags)).toBe(true);
      expect(record.seller).toEqual({ name: expect.any(String), rating: expect.any(Number) });
    }

    const ndjson = await download(target, `/executions/${execution.id}/results/export?format=ndjson`);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson');
    expect(ndjson.headers.get('content-disposition')).toBe(`attachment; filename="${execution.id}.ndjson"`);
    const lines = (await ndjson.text()).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);

    const csv = await download(target, `/executions/${execution.id}/results/export?format=csv`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="${execution.id}.csv"`);
    const csvText = await csv.text();
    const rows = csvText.trimEnd().split('\r\n');
    expect(rows[0]).toBe('title,price,in_stock,tags,seller,image');
    expect(rows).toHaveLength(7);
    const first = records[0] as JsonObject;
    const seller = JSON.stringify(first.seller).replace(/"/g, '""');
    expect(rows[1]).toContain(`,"${seller}",`);
    expect(rows[1]).toContain(`,"${JSON.stringify(first.tags).replace(/"/g, '""')}",`);

    const downloaded = await download(target, `/executions/${execution.id}/results/download`);
    expect(downloaded.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await downloaded.text()).toBe(csvText);
    expect(
      (await call(target, 'GET', `/executions/${execution.id}/results/export?format=xml`)).body.error.message,
    ).toMatch(/^format: /);
  });

  it('is deterministic per execution and URL, and differs between executions', async () => {
    const { target, task, execution } = await finishedRun({}, classicTask());
    const again = await (await download(target, `/executions/${execution.id}/results/export`)).text();
    expect(await (await download(target, `/executions/${execution.id}/results/export`)).text()).toBe(again);
    const second = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    await waitForExecution(target, second.id);
    expect(await (await download(target, `/executions/${second.id}/results/export`)).text()).not.toBe(again);
  });

  it('refuses exports before the execution has finished (400 "execution not completed")', async () => {
    emulator = await startEmulator({ scheduler: false, queueDelayMs: 60_000 });
    const task = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    const execution = (await call(emulator, 'POST', `/tasks/${task.id}/run`)).body.data;
    for (const path of ['results/export', 'results/download']) {
      const answer = await call(emulator, 'GET', `/executions/${execution.id}/${path}`);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toEqual({
        code: 'BAD_REQUEST',
        message: expect.stringContaining('execution not completed'),
      });
    }
    const meta = await call(emulator, 'GET', `/executions/${execution.id}/results`);
    expect(meta.body.data).toMatchObject({ ready: false, record_count: 0, completed_at: null });
  });

  it('streams an export of 50,000 records', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string' }, n: { type: 'integer' } } };
    const { target, execution } = await finishedRun(
      { recordsPerUrl: 50_000 },
      classicTask({ output_schema: schema }),
    );
    expect((await call(target, 'GET', `/executions/${execution.id}/results`)).body.data.record_count).toBe(
      50_000,
    );
    const response = await download(target, `/executions/${execution.id}/results/export?format=ndjson`);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    let lines = 0;
    let tail = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      const text = tail + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      tail = parts.pop() ?? '';
      lines += parts.length;
    }
    expect(lines).toBe(50_000);
    const json = (await (
      await download(target, `/executions/${execution.id}/results/export`)
    ).json()) as unknown[];
    expect(json).toHaveLength(50_000);
  });
});

describe('datasets and media', () => {
  it('lists a dataset per finished execution, per execution and per task', async () => {
    const { target, task, execution } = await finishedRun({}, classicTask());
    const second = (await call(target, 'POST', `/tasks/${task.id}/run`)).body.data;
    await waitForExecution(target, second.id);
    const perExecution = await call(target, 'GET', `/executions/${execution.id}/datasets`);
    expect(perExecution.body.data).toEqual([
      {
        id: expect.any(String),
        task_id: task.id,
        execution_id: execution.id,
        name: expect.any(String),
        record_count: 2,
        created_at: expect.any(String),
      },
    ]);
    const perTask = await call(target, 'GET', `/tasks/${task.id}/datasets`);
    expect(perTask.body.data.map((d: { execution_id: string }) => d.execution_id)).toEqual([
      second.id,
      execution.id,
    ]);
  });

  it('stores media for media fields, with stable URLs in the records, a list and byte downloads', async () => {
    const urls = ['https://shop.example/1', 'https://shop.example/2'];
    const { target, execution } = await finishedRun({}, classicTask({ urls, output_schema: richSchema }));
    const media = (await call(target, 'GET', `/executions/${execution.id}/media`)).body.data;
    expect(media).toHaveLength(4);
    for (const item of media) {
      expect(item).toEqual({
        id: expect.any(String),
        execution_id: execution.id,
        content_type: 'image/png',
        size: expect.any(Number),
        url: `${target.url}/api/v1/executions/${execution.id}/media/${item.id}/download`,
      });
    }
    const records = (await (
      await download(target, `/executions/${execution.id}/results/export`)
    ).json()) as JsonObject[];
    expect(records.map((r) => r.image).sort()).toEqual(media.map((m: { url: string }) => m.url).sort());

    const bytes = await download(target, `/executions/${execution.id}/media/${media[0].id}/download`);
    expect(bytes.status).toBe(200);
    expect(bytes.headers.get('content-type')).toBe('image/png');
    const body = Buffer.from(await bytes.arrayBuffer());
    expect(body.length).toBe(media[0].size);
    expect(body.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const missing = await call(target, 'GET', `/executions/${execution.id}/media/nope/download`);
    expect(missing.status).toBe(404);
  });
});
