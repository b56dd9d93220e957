/**
 * The runtime surface over real HTTP (titan-api.md A3): run, executions and their control, results metadata,
 * streamed exports and downloads, datasets, media and templates.
 */
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/core/model.js';
import type { Emulator } from '../../src/emulator/index.js';
import { BadRequestError, NotFoundError, RateLimitedError } from '../../src/io/api/errors.js';
import {
  TERMINAL_EXECUTION_STATUSES,
  type Execution,
  type TaskServiceClient,
} from '../../src/core/service/types.js';
import { clientFor, routeCount, contractEmulator } from './harness.js';

const photoSpec: TaskSpec = {
  name: 'Products with photos',
  execution_type: 'single',
  urls: ['https://shop.example/p/1', 'https://shop.example/p/2', 'https://fail.shop.example/p/3'],
  objective: 'Extract title, price and photo',
  output_schema: {
    type: 'object',
    properties: {
      title: { type: 'string' },
      price: { type: 'number' },
      photo: { type: 'string', format: 'uri', contentMediaType: 'image/png' },
    },
  },
};

/** A Writable that keeps what it is given, optionally slowly (to exercise backpressure). */
function collector(options: { slow?: boolean; highWaterMark?: number } = {}) {
  const chunks: Buffer[] = [];
  let writes = 0;
  const sink = new Writable({
    highWaterMark: options.highWaterMark ?? 16_384,
    write(chunk: Buffer, _encoding, callback) {
      writes++;
      chunks.push(chunk);
      if (options.slow) setImmediate(callback);
      else callback();
    },
  });
  return {
    sink,
    text: () => Buffer.concat(chunks).toString('utf8'),
    bytes: () => Buffer.concat(chunks),
    writes: () => writes,
  };
}

async function finished(client: TaskServiceClient, id: string): Promise<Execution> {
  for (;;) {
    const execution = await client.getExecution(id);
    if (TERMINAL_EXECUTION_STATUSES.includes(execution.status)) return execution;
    await sleep(15);
  }
}

describe('a run from start to exported results', () => {
  let emulator: Emulator;
  let client: TaskServiceClient;
  let taskId: string;
  let execution: Execution;

  beforeAll(async () => {
    emulator = await contractEmulator({ recordsPerUrl: 2 });
    client = clientFor(emulator);
    taskId = (await client.createTask(photoSpec)).id;
    const started = await client.runTask(taskId);
    expect(started).toMatchObject({ task_id: taskId, status: 'queued' });
    await expect(client.exportResults(started.id, 'json', collector().sink)).rejects.toThrow(/not completed/);
    execution = await finished(client, started.id);
  });
  afterAll(() => emulator.close());

  it('ends completed_with_errors when one URL fails, with metadata saying results are ready', async () => {
    expect(execution).toMatchObject({ status: 'completed_with_errors', urls_total: 3, urls_failed: 1 });
    const results = await client.getResults(execution.id);
    expect(results).toMatchObject({ execution_id: execution.id, ready: true, record_count: 4 });
    expect(results.formats).toEqual(['json', 'ndjson', 'csv']);
  });

  it('streams the JSON, NDJSON and CSV exports into a stream and reports the byte count', async () => {
    const json = collector();
    const bytes = await client.exportResults(execution.id, 'json', json.sink);
    expect(bytes).toBe(json.bytes().length);
    const records = JSON.parse(json.text()) as Record<string, unknown>[];
    expect(records).toHaveLength(4);
    for (const record of records) expect(Object.keys(record).sort()).toEqual(['photo', 'price', 'title']);

    const ndjson = collector();
    await client.exportResults(execution.id, 'ndjson', ndjson.sink);
    expect(
      ndjson
        .text()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual(records);

    const csv = collector();
    await client.exportResults(execution.id, 'csv', csv.sink);
    const lines = csv.text().trim().split(/\r?\n/);
    expect(lines[0]).toBe('title,price,photo');
    expect(lines).toHaveLength(5);
    const download = collector();
    await client.downloadResultsCsv(execution.id, download.sink);
    expect(download.text()).toBe(csv.text());
  });

  it('lists and downloads media, streamed, with its content type', async () => {
    const media = await client.listMedia(execution.id);
    expect(media.length).toBeGreaterThan(0);
    const first = media[0];
    if (first === undefined) throw new Error('no media');
    const file = collector();
    const got = await client.downloadMedia(execution.id, first.id, file.sink);
    expect(got).toEqual({ bytes: first.size, contentType: 'image/png' });
    expect(file.bytes().subarray(1, 4).toString('latin1')).toBe('PNG');
    await expect(client.downloadMedia(execution.id, 'no-such-media', collector().sink)).rejects.toThrow(
      NotFoundError,
    );
  });

  it('lists datasets per execution and per task', async () => {
    const byExecution = await client.listExecutionDatasets(execution.id);
    expect(byExecution[0]).toMatchObject({ execution_id: execution.id, task_id: taskId, record_count: 4 });
    expect((await client.listTaskDatasets(taskId)).map((d) => d.id)).toContain(byExecution[0]?.id);
  });

  it('lists executions, newest first, across the service and per task, with a limit', async () => {
    const second = await client.createExecution(taskId);
    expect(second).toMatchObject({ task_id: taskId });
    const all = await client.listExecutions({ taskId });
    expect(all.map((e) => e.id)).toEqual([second.id, execution.id]);
    expect((await client.listTaskExecutions(taskId)).map((e) => e.id)).toEqual([second.id, execution.id]);
    expect((await client.listExecutions({ taskId, limit: 1 })).map((e) => e.id)).toEqual([second.id]);
    expect(await client.listTaskExecutions(taskId, { status: 'cancelled' })).toEqual([]);
  });
});

describe('large exports', () => {
  it('pipe into a slow sink with backpressure, chunk by chunk, ending with every byte', async () => {
    const emulator = await contractEmulator({ recordsPerUrl: 3000, urlDurationMs: 1 });
    try {
      const client = clientFor(emulator);
      const task = await client.createTask({
        ...photoSpec,
        urls: ['https://shop.example/a', 'https://shop.example/b'],
      });
      const execution = await finished(client, (await client.runTask(task.id)).id);
      const slow = collector({ slow: true, highWaterMark: 1024 });
      const bytes = await client.exportResults(execution.id, 'ndjson', slow.sink);
      expect(bytes).toBeGreaterThan(500_000);
      expect(slow.bytes().length).toBe(bytes);
      expect(slow.text().trim().split('\n')).toHaveLength(6000);
      expect(slow.writes()).toBeGreaterThan(5);
    } finally {
      await emulator.close();
    }
  });

  it('a failing sink surfaces its own error, not a network error', async () => {
    const emulator = await contractEmulator({ urlDurationMs: 1 });
    try {
      const client = clientFor(emulator);
      const task = await client.createTask(photoSpec);
      const execution = await finished(client, (await client.runTask(task.id)).id);
      const broken = new Writable({
        write: (_chunk, _encoding, callback) => callback(new Error('disk full')),
      });
      await expect(client.exportResults(execution.id, 'json', broken)).rejects.toThrow('disk full');
    } finally {
      await emulator.close();
    }
  });
});

describe('execution control', () => {
  let emulator: Emulator;
  let client: TaskServiceClient;
  beforeAll(async () => {
    emulator = await contractEmulator({ queueDelayMs: 60_000 });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('pauses, resumes and stops; a control call on a finished execution is a 400 and is not repeated', async () => {
    const task = await client.createTask(photoSpec);
    const execution = await client.runTask(task.id, { api_key: 'run-time-secret' });
    expect(await client.pauseExecution(execution.id)).toMatchObject({ id: execution.id, status: 'paused' });
    expect(['queued', 'running']).toContain((await client.resumeExecution(execution.id)).status);
    expect(await client.stopExecution(execution.id)).toMatchObject({ status: 'cancelled' });
    await expect(client.stopExecution(execution.id)).rejects.toThrow(BadRequestError);
    expect(routeCount(emulator, 'POST /api/v1/executions/:id/stop')).toBe(2);
    expect(JSON.stringify(await client.getExecution(execution.id))).not.toContain('run-time-secret');
  });
});

describe('templates', () => {
  let emulator: Emulator;
  let client: TaskServiceClient;
  beforeAll(async () => {
    emulator = await contractEmulator({ previewQuota: 1 });
    client = clientFor(emulator);
  });
  afterAll(() => emulator.close());

  it('lists the built-in templates and reads one by slug or id', async () => {
    const templates = await client.listTemplates();
    expect(templates.map((t) => t.slug)).toEqual(
      expect.arrayContaining(['example-search-template', 'carrier-quote-json', 'product-page']),
    );
    const bySlug = await client.getTemplate('product-page');
    expect(bySlug.slug).toBe('product-page');
    expect(await client.getTemplate(bySlug.id)).toEqual(bySlug);
    await expect(client.getTemplate('no-such-template')).rejects.toThrow(NotFoundError);
  });

  it('previews until the daily quota is spent, then reports the quota without retrying', async () => {
    const preview = await client.previewTemplate('product-page', { urls: ['https://shop.example/p/9'] });
    expect(Array.isArray(preview.records)).toBe(true);
    const spent = client.previewTemplate('product-page');
    await expect(spent).rejects.toThrow(RateLimitedError);
    await expect(spent).rejects.toMatchObject({ quota: 'preview_limit_exceeded', status: 429 });
    expect(routeCount(emulator, 'POST /api/v1/templates/:id/preview')).toBe(2);
  });

  it('goes on at once with other requests after the quota is spent (its reset is next midnight)', async () => {
    await expect(client.previewTemplate('product-page')).rejects.toMatchObject({
      quota: 'preview_limit_exceeded',
    });
    // Before, the quota's reset held every later request of the client until midnight: this test timed out.
    expect((await client.listTemplates()).length).toBeGreaterThanOrEqual(3);
    expect((await client.getTemplate('product-page')).slug).toBe('product-page');
  });
});
