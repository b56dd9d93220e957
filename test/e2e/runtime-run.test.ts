/**
 * `titan run`: start → wait → export against the emulator, through the built CLI, addressed by manifest key
 * through titan.lock. Exit codes are the contract: 0 completed, 0 + warning completed_with_errors (1 with
 * --strict), 1 failed / cancelled / timeout, 3 unknown key, 130 Ctrl-C.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/core/json.js';
import {
  describeRun,
  parseCsv,
  spawnTitan,
  startedExecutionId,
  taskBody,
  useRuntimeWorld,
} from './runtime-support.js';

const SHOP_SCHEMA: JsonObject = {
  title: { type: 'string' },
  price: { type: 'number' },
  in_stock: { type: 'boolean' },
  tags: { type: 'array', items: { type: 'string' } },
  seller: { type: 'object', properties: { name: { type: 'string' }, rating: { type: 'integer' } } },
};

describe('titan run', () => {
  const world = useRuntimeWorld({ recordsPerUrl: 3 });

  const shopTask = (key: string, urls: string[]): string =>
    world().addTask(key, taskBody(key, urls, SHOP_SCHEMA));

  async function referenceRecords(executionId: string): Promise<JsonObject[]> {
    const bytes = await world().fetchBytes(`/api/v1/executions/${executionId}/results/export?format=json`);
    return JSON.parse(bytes.toString('utf8')) as JsonObject[];
  }

  it('runs a task by key, waits, and exports JSON holding the records', async () => {
    shopTask('shop-json', ['https://shop.example/p/1', 'https://shop.example/p/2']);
    const result = await world().titan(['run', 'shop-json', '--wait', '--export', 'out/../shop.json']);
    expect(result.code, describeRun(result)).toBe(0);
    const executionId = startedExecutionId(result.stdout);
    expect(result.stdout).toContain(`Execution ${executionId} completed`);
    expect(result.stdout).toContain('Exported 6 records');
    const exported = JSON.parse(readFileSync(path.join(world().dir, 'shop.json'), 'utf8')) as JsonObject[];
    expect(exported).toHaveLength(6);
    expect(exported).toEqual(await referenceRecords(executionId));
    expect(Object.keys(exported[0] ?? {})).toEqual(Object.keys(SHOP_SCHEMA));
    // Non-TTY progress: sparse lines, never a redraw.
    expect(result.stderr).toMatch(/\] completed · 2\/2 URLs/);
    expect(result.stderr).not.toContain('\r');
  });

  it('exports NDJSON when asked, whatever the file is called', async () => {
    shopTask('shop-ndjson', ['https://shop.example/p/3']);
    const result = await world().titan([
      'run',
      'shop-ndjson',
      '--export',
      'shop.txt',
      '--format',
      'ndjson',
      '--json',
    ]);
    expect(result.code, describeRun(result)).toBe(0);
    const execution = JSON.parse(result.stdout) as JsonObject;
    expect(execution.status).toBe('completed');
    const lines = readFileSync(path.join(world().dir, 'shop.txt'), 'utf8').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line) as JsonObject)).toEqual(
      await referenceRecords(String(execution.id)),
    );
  });

  it('exports CSV (chosen from the .csv name) that parses back to the records', async () => {
    shopTask('shop-csv', ['https://shop.example/p/4', 'https://shop.example/p/5']);
    const result = await world().titan(['run', 'shop-csv', '--wait', '--export', 'shop.csv', '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    const executionId = String((JSON.parse(result.stdout) as JsonObject).id);
    const [header, ...rows] = parseCsv(readFileSync(path.join(world().dir, 'shop.csv'), 'utf8'));
    expect(header).toEqual(Object.keys(SHOP_SCHEMA));
    const parsedBack = rows.map((cells) =>
      Object.fromEntries(
        cells.map((cell, i) => [header?.[i] ?? '', cellValue(cell, SHOP_SCHEMA[header?.[i] ?? ''])]),
      ),
    );
    expect(parsedBack).toEqual(await referenceRecords(executionId));
    expect(readdirSync(world().dir).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('warns on completed_with_errors, still exports, and fails under --strict', async () => {
    shopTask('shop-partial', ['https://shop.example/p/6', 'https://fail.shop.example/p/7']);
    const lenient = await world().titan(['run', 'shop-partial', '--wait', '--export', 'partial.json']);
    expect(lenient.code, describeRun(lenient)).toBe(0);
    const executionId = startedExecutionId(lenient.stdout);
    expect(lenient.stderr).toContain(
      `Warning: execution ${executionId} completed with errors (1/2 URLs, 1 failed)`,
    );
    expect(JSON.parse(readFileSync(path.join(world().dir, 'partial.json'), 'utf8'))).toHaveLength(3);

    const strict = await world().titan(['run', 'shop-partial', '--wait', '--strict']);
    expect(strict.code, describeRun(strict)).toBe(1);
    const strictId = startedExecutionId(strict.stdout);
    expect(strict.stderr).toContain(`Execution ${strictId} completed with errors`);
    expect(strict.stderr).toContain(`titan executions get ${strictId}`);
  });

  it('exits 1 naming the execution when every URL failed, and exports nothing', async () => {
    shopTask('shop-down', ['https://fail.shop.example/p/8', 'https://fail.shop.example/p/9']);
    const result = await world().titan(['run', 'shop-down', '--export', 'down.json']);
    expect(result.code, describeRun(result)).toBe(1);
    const executionId = startedExecutionId(result.stdout);
    expect(result.stderr).toContain(`Execution ${executionId} failed`);
    expect(result.stderr).toContain('Nothing was exported');
    expect(existsSync(path.join(world().dir, 'down.json'))).toBe(false);
  });

  it('checks the --export path before starting anything', async () => {
    shopTask('shop-badpath', ['https://shop.example/p/14']);
    const missingFolder = await world().titan(['run', 'shop-badpath', '--export', 'no-such-dir/out.json']);
    expect(missingFolder.code, describeRun(missingFolder)).toBe(3);
    expect(missingFolder.stderr).toContain(
      'Cannot write the export to no-such-dir/out.json: the folder no-such-dir does not exist.',
    );
    expect(missingFolder.stdout).not.toContain('Started execution');

    const folder = await world().titan(['run', 'shop-badpath', '--export', '.']);
    expect(folder.code, describeRun(folder)).toBe(3);
    expect(folder.stderr).toContain('Cannot write the export to .: it is a folder');

    const runs = await world().titan(['executions', 'list', 'shop-badpath', '--json']);
    expect(JSON.parse(runs.stdout)).toEqual([]);
  });

  it('when the export fails after the run, names the file and how to export again', async () => {
    const urls = Array.from({ length: 30 }, (_, i) => `https://slow.example/x/${i}`);
    world().addTask('export-lost', taskBody('slow', urls, { title: { type: 'string' } }));
    mkdirSync(path.join(world().dir, 'gone'));
    const child = spawnTitan(['run', 'export-lost', '--export', 'gone/out.json'], world().dir, world().env);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The folder was checked before the run started; it disappears while the execution runs.
      if (stdout.includes('Started execution'))
        rmSync(path.join(world().dir, 'gone'), { recursive: true, force: true });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    const executionId = startedExecutionId(stdout);
    expect(stderr).toContain(
      `Execution ${executionId} completed, but its results could not be exported to gone/out.json: its folder does not exist.`,
    );
    expect(stderr).toContain(`titan results export ${executionId} -o FILE`);
    expect(stderr).not.toContain('.part');
  });

  it('without --wait prints the new execution and how to follow it', async () => {
    const taskId = shopTask('shop-nowait', ['https://shop.example/p/10']);
    const human = await world().titan(['run', 'shop-nowait']);
    expect(human.code, describeRun(human)).toBe(0);
    const executionId = startedExecutionId(human.stdout);
    expect(human.stdout).toContain(`titan executions watch ${executionId}`);

    const json = await world().titan(['run', '--task-id', taskId, '--json']);
    expect(json.code, describeRun(json)).toBe(0);
    const execution = JSON.parse(json.stdout) as JsonObject;
    expect(execution.task_id).toBe(taskId);
    expect(['queued', 'running']).toContain(execution.status);
  });

  it('stops waiting at --timeout with exit 1; the execution keeps running', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `https://slow.example/p/${i}`);
    world().addTask('slow-timeout', taskBody('slow', urls, { title: { type: 'string' } }));
    const result = await world().titan(['run', 'slow-timeout', '--timeout', '300ms']);
    expect(result.code, describeRun(result)).toBe(1);
    const executionId = startedExecutionId(result.stdout);
    expect(result.stderr).toContain(`Execution ${executionId} is still`);
    expect(result.stderr).toContain('(--timeout)');
    expect(result.stderr).toContain(`titan executions watch ${executionId}`);
    const live = await world().fetchJson(`/api/v1/executions/${executionId}`);
    expect(['queued', 'running']).toContain((live.data as JsonObject).status);
  });

  it('on Ctrl-C stops waiting, prints the execution id and how to watch it, and exits 130', async () => {
    const urls = Array.from({ length: 60 }, (_, i) => `https://slow.example/q/${i}`);
    world().addTask('slow-interrupt', taskBody('slow', urls, { title: { type: 'string' } }));
    const child = spawnTitan(['run', 'slow-interrupt', '--wait'], world().dir, world().env);
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!interrupted && /\] (queued|running)/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, `${stdout}\n${stderr}`).toBe(130);
    const executionId = startedExecutionId(stdout);
    expect(stderr).toContain(`Stopped waiting; execution ${executionId} is still`);
    expect(stderr).toContain(`titan executions watch ${executionId}`);
  });

  it('sends the secret payload without ever printing its values', async () => {
    shopTask('shop-secret', ['https://shop.example/p/11']);
    const secret = 'sk-live-9f8e7d6c5b4a';
    const file = path.join(world().dir, 'secret.json');
    writeFileSync(file, JSON.stringify({ api_key: secret, nested: { password: `${secret}-2` } }));
    const result = await world().titan([
      'run',
      'shop-secret',
      '--secret-payload-file',
      'secret.json',
      '--wait',
      '--json',
      '--debug',
    ]);
    expect(result.code, describeRun(result)).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    expect(result.stderr).toContain('[http]'); // the trace was on, and still showed nothing secret

    writeFileSync(file, `{"api_key": "${secret}",}`);
    const invalid = await world().titan(['run', 'shop-secret', '--secret-payload-file', 'secret.json']);
    expect(invalid.code, describeRun(invalid)).toBe(3);
    expect(invalid.stderr).toContain('secret.json is not valid JSON');
    expect(`${invalid.stdout}${invalid.stderr}`).not.toContain(secret);
  });

  it('names the lockfile when a key is unknown, or when there is no lockfile', async () => {
    shopTask('shop-known', ['https://shop.example/p/12']);
    const unknown = await world().titan(['run', 'shop-knwon', '--wait']);
    expect(unknown.code, describeRun(unknown)).toBe(3);
    expect(unknown.stderr).toContain('No task "shop-knwon" in titan.lock');
    expect(unknown.stderr).toContain('Did you mean "shop-known"?');
    expect(unknown.stderr).toContain('titan state list');

    const elsewhere = await world().titan(['run', 'shop-known', '--workspace', 'no-such-folder']);
    expect(elsewhere.code, describeRun(elsewhere)).toBe(3);
    expect(elsewhere.stderr).toContain(`no lockfile at ${path.join('no-such-folder', 'titan.lock')}`);
    expect(elsewhere.stderr).toContain('--workspace DIR');
  });

  it('refuses a lockfile recorded for another service', async () => {
    shopTask('shop-origin', ['https://shop.example/p/13']);
    const result = await world().titan(['run', 'shop-origin', '--api-url', 'http://127.0.0.1:9']);
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr).toContain(`belongs to ${world().emulator.url}`);
  });
});

/** A CSV cell back to the JSON value the schema says it holds (nested values are JSON-encoded cells). */
function cellValue(cell: string, property: JsonValue | undefined): JsonValue {
  const type = (property as JsonObject | undefined)?.type;
  if (type === 'string') return cell;
  if (type === 'number' || type === 'integer') return Number(cell);
  if (type === 'boolean') return cell === 'true';
  return JSON.parse(cell) as JsonValue;
}
