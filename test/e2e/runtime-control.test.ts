/**
 * The rest of the runtime surface through the built CLI: executions list/get/watch/pause/resume/stop, results
 * metadata/export/download, datasets, media and templates — human tables and `--json` for scripts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { describeRun, startedExecutionId, taskBody, useRuntimeWorld } from './runtime-support.js';

const parse = <T = JsonObject>(stdout: string): T => JSON.parse(stdout) as T;

describe('titan executions', () => {
  const world = useRuntimeWorld({ recordsPerUrl: 2 });

  it('pauses, resumes and stops an execution, and refuses to stop it twice', async () => {
    const urls = Array.from({ length: 200 }, (_, i) => `https://slow.example/c/${i}`);
    world().addTask('control', taskBody('control', urls, { title: { type: 'string' } }));
    const started = await world().titan(['run', 'control']);
    expect(started.code, describeRun(started)).toBe(0);
    const id = startedExecutionId(started.stdout);

    const paused = await world().titan(['executions', 'pause', id]);
    expect(paused.code, describeRun(paused)).toBe(0);
    expect(paused.stdout).toBe(`Execution ${id} paused; it is now paused.\n`);
    const whilePaused = parse((await world().titan(['executions', 'get', id, '--json'])).stdout);
    expect(whilePaused.status).toBe('paused');

    const resumed = await world().titan(['executions', 'resume', id, '--json']);
    expect(resumed.code, describeRun(resumed)).toBe(0);
    expect(['queued', 'running']).toContain(parse(resumed.stdout).status);

    const stopped = await world().titan(['executions', 'stop', id]);
    expect(stopped.code, describeRun(stopped)).toBe(0);
    expect(stopped.stdout).toContain('it is now cancelled');

    const again = await world().titan(['executions', 'stop', id]);
    expect(again.code, describeRun(again)).toBe(1);
    expect(again.stderr).toContain(`Cannot stop execution ${id}: it is cancelled.`);

    const watched = await world().titan(['executions', 'watch', id]);
    expect(watched.code, describeRun(watched)).toBe(1);
    expect(watched.stderr).toContain(`Execution ${id} was cancelled.`);
  });

  it('watches an execution to the end and lists and shows executions by key', async () => {
    const taskId = world().addTask(
      'watched',
      taskBody('watched', ['https://a.example/1'], { title: { type: 'string' } }),
    );
    const id = startedExecutionId((await world().titan(['run', 'watched'])).stdout);
    const watched = await world().titan(['executions', 'watch', id, '--export', 'watched.ndjson']);
    expect(watched.code, describeRun(watched)).toBe(0);
    expect(readFileSync(path.join(world().dir, 'watched.ndjson'), 'utf8').trimEnd().split('\n')).toHaveLength(
      2,
    );

    const list = await world().titan(['executions', 'list', 'watched', '--json']);
    expect(list.code, describeRun(list)).toBe(0);
    const executions = parse<JsonObject[]>(list.stdout);
    expect(executions.map((e) => e.id)).toEqual([id]);
    expect(executions[0]?.task_id).toBe(taskId);

    const table = await world().titan(['executions', 'list', '--status', 'completed', '--limit', '50']);
    expect(table.code, describeRun(table)).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^EXECUTION\s+TASK\s+STATUS\s+URLS\s+FAILED\s+CREATED\s+FINISHED$/);
    const row = rows.find((line) => line.startsWith(id));
    expect(row).toMatch(new RegExp(`^${id}\\s+watched\\s+completed\\s+1/1\\s+0\\s`)); // the key, not the task id
    expect(rows.every((line) => /\scompleted\s/.test(line))).toBe(true);

    const shown = await world().titan(['executions', 'get', id]);
    expect(shown.stdout).toContain(`Task:       watched (${taskId})`);
    expect(shown.stdout).toMatch(/Status:\s+completed\n/);
  });

  it('reports an unknown execution id clearly', async () => {
    const result = await world().titan(['executions', 'get', 'no-such-execution']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stderr).toContain(`No execution no-such-execution on ${world().emulator.url}`);
  });
});

describe('titan results, datasets, media, templates', () => {
  const world = useRuntimeWorld({ recordsPerUrl: 2 });

  async function finishedExecution(
    key: string,
    properties: JsonObject,
    urls = ['https://r.example/1'],
  ): Promise<string> {
    world().addTask(key, taskBody(key, urls, properties));
    const run = await world().titan(['run', key, '--wait']);
    expect(run.code, describeRun(run)).toBe(0);
    return startedExecutionId(run.stdout);
  }

  it('shows results metadata and streams exports byte-for-byte', async () => {
    const id = await finishedExecution('results', { name: { type: 'string' }, n: { type: 'integer' } }, [
      'https://r.example/1',
      'https://r.example/2',
    ]);
    const meta = await world().titan(['results', id]);
    expect(meta.code, describeRun(meta)).toBe(0);
    expect(meta.stdout).toMatch(/Records:\s+4\n/);
    expect(parse((await world().titan(['results', 'show', id, '--json'])).stdout)).toMatchObject({
      execution_id: id,
      ready: true,
      record_count: 4,
    });

    const toStdout = await world().titan(['results', 'export', id, '--format', 'ndjson']);
    expect(toStdout.code, describeRun(toStdout)).toBe(0);
    const direct = await world().fetchBytes(`/api/v1/executions/${id}/results/export?format=ndjson`);
    expect(toStdout.stdout).toBe(direct.toString('utf8'));

    const download = await world().titan(['results', 'download', id, '-o', 'download.csv', '--json']);
    expect(download.code, describeRun(download)).toBe(0);
    const csv = await world().fetchBytes(`/api/v1/executions/${id}/results/download`);
    expect(readFileSync(path.join(world().dir, 'download.csv')).equals(csv)).toBe(true);
    expect(parse(download.stdout)).toMatchObject({ file: 'download.csv', format: 'csv', bytes: csv.length });

    // A file that cannot be written is named as the user gave it, never by its hidden temporary name.
    const unwritable = await world().titan(['results', 'export', id, '-o', 'no-such-dir/out.json']);
    expect(unwritable.code, describeRun(unwritable)).toBe(1);
    expect(unwritable.stderr).toContain('Cannot write no-such-dir/out.json: its folder does not exist.');
    expect(unwritable.stderr).not.toContain('.part');

    // The download needs -o: FILE, or - for stdout.
    const noOutput = await world().titan(['results', 'download', id]);
    expect(noOutput.code, describeRun(noOutput)).toBe(3);
    expect(noOutput.stderr).toContain('titan results download needs -o FILE (or -o - to write to stdout)');
    expect(noOutput.stdout).toBe('');
    const csvToStdout = await world().titan(['results', 'download', id, '-o', '-']);
    expect(csvToStdout.code, describeRun(csvToStdout)).toBe(0);
    expect(csvToStdout.stdout).toBe(csv.toString('utf8'));
  });

  it('explains that a running execution has no export yet', async () => {
    const urls = Array.from({ length: 200 }, (_, i) => `https://slow.example/r/${i}`);
    world().addTask('still-running', taskBody('slow', urls, { title: { type: 'string' } }));
    const id = startedExecutionId((await world().titan(['run', 'still-running'])).stdout);
    const result = await world().titan(['results', 'export', id, '-o', 'early.json']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`Execution ${id} is (queued|running): its results can be exported once`),
    );
    expect(result.stderr).toContain(`titan executions watch ${id}`);
    await world().titan(['executions', 'stop', id]);
  });

  it('lists datasets by key and by execution', async () => {
    const id = await finishedExecution('with-datasets', { title: { type: 'string' } });
    const byKey = await world().titan(['datasets', 'with-datasets', '--json']);
    expect(byKey.code, describeRun(byKey)).toBe(0);
    const datasets = parse<JsonObject[]>(byKey.stdout);
    expect(datasets.map((d) => d.execution_id)).toEqual([id]);

    const byExecution = await world().titan(['datasets', '--execution', id]);
    expect(byExecution.code, describeRun(byExecution)).toBe(0);
    expect(byExecution.stdout).toMatch(/^DATASET\s+NAME\s+RECORDS\s+EXECUTION\s+TASK\s+CREATED\n/);
    expect(byExecution.stdout).toContain('with-datasets');
  });

  it('downloads media byte-equal to what the service stored', async () => {
    const id = await finishedExecution('with-media', {
      title: { type: 'string' },
      photo: { type: 'string', format: 'uri', contentMediaType: 'image/png' },
    });
    const list = await world().titan(['media', 'list', id, '--json']);
    expect(list.code, describeRun(list)).toBe(0);
    const items = parse<{ id: string; url: string; size: number; content_type: string }[]>(list.stdout);
    expect(items).toHaveLength(2);
    for (const item of items) {
      const file = `${item.id}.png`;
      const download = await world().titan(['media', 'download', id, item.id, '-o', file]);
      expect(download.code, describeRun(download)).toBe(0);
      expect(download.stdout).toContain(`(image/png) to ${file}`);
      const stored = await world().fetchBytes(item.url);
      const written = readFileSync(path.join(world().dir, file));
      expect(written.equals(stored)).toBe(true);
      expect(written.length).toBe(item.size);
    }
    const table = await world().titan(['media', 'list', id]);
    expect(table.stdout).toMatch(/^MEDIA\s+TYPE\s+SIZE\s+URL\n/);

    const first = items[0]?.id ?? '';
    const noOutput = await world().titan(['media', 'download', id, first]);
    expect(noOutput.code, describeRun(noOutput)).toBe(3);
    expect(noOutput.stderr).toContain('titan media download needs -o FILE (or -o - to write to stdout)');
    const toStdout = await world().titan(['media', 'download', id, first, '-o', '-']);
    expect(toStdout.code, describeRun(toStdout)).toBe(0);
    expect(toStdout.stdout.slice(1, 4)).toBe('PNG'); // the PNG signature (its first byte is not UTF-8)

    const missing = await world().titan(['media', 'download', id, 'no-such-media', '-o', 'x.png']);
    expect(missing.code, describeRun(missing)).toBe(1);
    expect(missing.stderr).toContain(`No media no-such-media in execution ${id}`);
  });

  it('lists and shows templates', async () => {
    const list = await world().titan(['templates', 'list', '--json']);
    expect(list.code, describeRun(list)).toBe(0);
    const slugs = parse<JsonObject[]>(list.stdout).map((t) => t.slug);
    expect(slugs).toEqual(
      expect.arrayContaining(['example-search-template', 'carrier-quote-json', 'product-page']),
    );

    const table = await world().titan(['templates', 'list']);
    expect(table.stdout).toMatch(/^SLUG\s+NAME\s+ACTION\s+ID\s+DESCRIPTION\n/);
    expect(table.stdout).toMatch(/\nproduct-page\s+Product page\s+scrape\s/);

    const shown = await world().titan(['templates', 'show', 'product-page']);
    expect(shown.code, describeRun(shown)).toBe(0);
    expect(shown.stdout).toMatch(/^Slug:\s+product-page\n/);
    expect(shown.stdout).toContain('Defaults:');

    const unknown = await world().titan(['templates', 'show', 'no-such-template']);
    expect(unknown.code, describeRun(unknown)).toBe(1);
    expect(unknown.stderr).toContain('No template "no-such-template"');
  });
});
