/**
 * The evidence a plan carries (in this process, over real HTTP against the emulator): what deletes and replaces
 * throw away, and recent records checked against changed output schemas — in all three renderings, with the
 * requests they cost counted.
 */
import { PassThrough } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import planSchema from '../../schemas/plan.schema.json' with { type: 'json' };
import { runPlan, type RunPlanOptions } from '../../src/app/plan.js';
import type { Plan } from '../../src/core/plan/model.js';
import type { TaskServiceClient } from '../../src/core/service/types.js';
import type { Emulator } from '../../src/emulator/index.js';
import { resolveWorkspace } from '../../src/io/workspace.js';
import { startEmulator } from '../helpers/emulator.js';
import {
  applyInProcess,
  classicTask,
  clientFor,
  createWorkspace,
  type ManifestSpec,
  type Workspace,
} from './apply-support.js';

const oldSchema = {
  type: 'object',
  properties: { title: { type: 'string' }, price: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
};
const narrowed = { type: 'object', properties: { title: { type: 'string' }, price: { type: 'number' } } };
const widened = {
  type: 'object',
  properties: { ...oldSchema.properties, currency: { type: 'string' } },
};

const prices = (schema: object): ManifestSpec =>
  classicTask('prices', 1, {
    urls: ['https://shop.example/1', 'https://shop.example/2'],
    output_schema: schema as never,
  });
const compatible = (schema: object): ManifestSpec => ({
  ...classicTask('offers', 1, { output_schema: schema as never }),
});
const doomed = classicTask('doomed', 1, { execution_type: 'scheduled', schedule: '0 3 * * *' });
const replaced = classicTask('replaced');

let emulator: Emulator;
let ws: Workspace;

async function runTo(client: TaskServiceClient, taskId: string): Promise<void> {
  const execution = await client.runTask(taskId);
  for (;;) {
    const now = await client.getExecution(execution.id);
    if (['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(now.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function plan(
  options: Partial<RunPlanOptions>,
  client: TaskServiceClient = clientFor(emulator),
): Promise<{ stdout: string; stderr: string; code: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  let code = 0;
  try {
    await runPlan(
      { client, origin: emulator.url, workspace: resolveWorkspace([], ws.dir), cwd: ws.dir, env: {} },
      { paths: [], format: 'text', detailedExitcode: false, replace: ['replaced'], ...options },
      { stdout, stderr, color: false, stderrColor: false },
    );
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 99;
    err += `${(error as Error).message}\n`;
  }
  return { stdout: out, stderr: err, code };
}

/** Markdown with its backslash escapes undone, to read it as a reviewer sees it. */
const shown = (markdown: string): string => markdown.replace(/\\([!-/:-@[-`{-~])/g, '$1');

const routeCount = (route: string): number => emulator.stats().byRoute[route] ?? 0;
const LIST = 'GET /api/v1/tasks/:id/executions';
const EXPORT = 'GET /api/v1/executions/:id/results/export';

beforeAll(async () => {
  emulator = await startEmulator({ scheduler: false, queueDelayMs: 0, urlDurationMs: 0, recordsPerUrl: 2 });
  ws = createWorkspace('titan-plan-evidence-');
  ws.writeManifests([prices(oldSchema), compatible(oldSchema), doomed, replaced]);
  const applied = await applyInProcess(ws, emulator);
  expect(applied.code, applied.output).toBe(0);
  const client = clientFor(emulator);
  const live = await client.listAllTasks();
  const idOf = (name: string): string => live.find((t) => t.name === `Task ${name}`)?.id as string;
  for (const key of ['prices', 'prices', 'prices', 'offers', 'doomed', 'doomed'])
    await runTo(client, idOf(key));
  // The PR: narrow `price` (old records hold strings), widen `offers`, drop `doomed`, replace `replaced`.
  ws.writeManifests([prices(narrowed), compatible(widened), replaced]);
});

afterAll(async () => {
  await emulator.close();
});

describe('history check', () => {
  it('a narrowed type: recent records that fail are counted and grouped; one list and N exports per task', async () => {
    emulator.resetStats();
    const { stdout, code } = await plan({ format: 'json', checkHistory: 2 });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as Plan;
    const change = result.changes.find((c) => c.key === 'prices');
    expect(change?.history).toMatchObject({
      executions_asked: 2,
      executions_read: 2,
      requests: 3,
      errors: [],
      check: {
        records: 8,
        failing: 8,
        violations: [{ path: '$.price', message: 'must be number (got string)', count: 8 }],
      },
    });
    // Two updates with schema changes: one list and up to two exports each (offers ran once); deletes and replaces
    // one list each.
    expect(routeCount(EXPORT)).toBe(2 + 1);
    expect(routeCount(LIST)).toBe(2 + 2);
    expect(new Ajv2020({ strict: true }).compile(planSchema)(result)).toBe(true);
  });

  it('a compatible change: the old records pass', async () => {
    const { stdout } = await plan({ format: 'json', checkHistory: 3 });
    const change = (JSON.parse(stdout) as Plan).changes.find((c) => c.key === 'offers');
    expect(change?.history).toMatchObject({ executions_read: 1, check: { records: 2, failing: 0 } });
  });

  it('text: the headline and the grouped violation under the change', async () => {
    const { stdout } = await plan({ checkHistory: 2 });
    expect(stdout).toContain(
      'history         8 of 8 records from the last 2 executions would fail the new schema',
    );
    expect(stdout).toMatch(
      /\$\.price must be number \(got string\) ×8, e\.g\. "Price \w+ \d \(shop\.example\)"/,
    );
    expect(stdout).toContain('history         all 2 recent records (1 execution) pass the new schema');
  });

  it('markdown checks history by default; text and json do not unless asked', async () => {
    emulator.resetStats();
    const markdown = await plan({ format: 'markdown' });
    markdown.stdout = shown(markdown.stdout);
    expect(markdown.stdout).toContain(
      '**Recent records:** ⚠️ **12 of 12 records from the last 3 executions would fail',
    );
    expect(markdown.stdout).toMatch(/\| <code>\$\.price<\/code> \| must be number \(got string\) \| 12 \|/);
    expect(routeCount(EXPORT)).toBe(4);
    emulator.resetStats();
    const text = await plan({});
    expect(text.stdout).not.toContain('history ');
    expect(routeCount(EXPORT)).toBe(0);
    expect((await plan({ format: 'markdown', checkHistory: 0 })).stdout).not.toContain('Recent records');
  });

  it('a failed read is a warning on that change, never a failed plan', async () => {
    const real = clientFor(emulator);
    const failing = new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'exportResults') return () => Promise.reject(new Error('connection reset'));
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { stdout, code } = await plan({ checkHistory: 1 }, failing);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /! history check: could not read the records of execution [\w-]+: connection reset/,
    );
    expect(stdout).toContain('recent records could not be checked against the new schema');
    const json = JSON.parse((await plan({ format: 'json', checkHistory: 1 }, failing)).stdout) as Plan;
    expect(json.changes.find((c) => c.key === 'prices')?.history?.errors).toHaveLength(1);
  });
});

describe('delete impact', () => {
  it('json: executions count, last run and whether the schedule is active, for deletes and replaces', async () => {
    emulator.resetStats();
    const { stdout } = await plan({ format: 'json' });
    const changes = (JSON.parse(stdout) as Plan).changes;
    expect(changes.find((c) => c.key === 'doomed')).toMatchObject({
      action: 'delete',
      impact: { executions: 2, schedule_active: true, last_run_status: 'completed' },
    });
    expect(changes.find((c) => c.key === 'replaced')).toMatchObject({
      action: 'replace',
      impact: { executions: 0, last_run_at: null, schedule_active: false },
    });
    expect(changes.find((c) => c.key === 'prices')?.impact).toBeUndefined();
    expect(routeCount(LIST)).toBe(2);
  });

  it('text and markdown show it with the change', async () => {
    const text = (await plan({})).stdout;
    expect(text).toMatch(
      /- delete doomed[^\n]*\n(.*\n)*? {4}executions {6}2\n {4}last run {8}\S+ \(completed\)\n {4}schedule {8}active: deleting the task stops its scheduled runs/,
    );
    expect(text).toMatch(/-\/\+ replace replaced[^\n]*\n(.*\n)*? {4}executions {6}0\n {4}last run {8}never/);
    const markdown = shown((await plan({ format: 'markdown', checkHistory: 0 })).stdout);
    expect(markdown).toMatch(
      /- \*\*delete\*\* <code>doomed<\/code>[^\n]* · 2 executions, last run \S+, schedule active/,
    );
    expect(markdown).toContain('| executions | <code>2</code> |');
    expect(markdown).toContain(
      '| schedule | <code>active: deleting the task stops its scheduled runs</code> |',
    );
    expect(markdown).toMatch(/Replacing deletes the live task <code>[\w-]+<\/code> first:/);
  });

  it('a failed read shows the impact as unknown, with a warning', async () => {
    const failing = new Proxy(clientFor(emulator), {
      get(target, property, receiver) {
        if (property === 'readTaskExecutionsPage')
          return () => Promise.reject(new Error('503 from the proxy'));
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { stdout, code } = await plan({}, failing);
    expect(code).toBe(0);
    expect(stdout).toContain(
      '! what deleting it throws away is unknown: could not read its executions: 503 from the proxy',
    );
    expect(stdout).toMatch(/executions {6}unknown \(the read failed\)/);
  });
});
