/**
 * `titan test` end to end: the built CLI against the emulator — passing, violating, failing and multi-step tasks,
 * the budget, and no temporary task surviving Ctrl-C or kill -9 once the next command has run.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestReport } from '../../src/core/evidence/model.js';
import type { TaskSpec } from '../../src/core/model.js';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import {
  classicTask,
  createWorkspace,
  liveTasks,
  spawnTitan,
  titan,
  type ManifestSpec,
} from './apply-support.js';

const strict = {
  type: 'object',
  properties: { title: { type: 'string' }, price: { type: 'number' } },
  required: ['title', 'price'],
  additionalProperties: false,
};
const good = classicTask('good', 1, {
  urls: Array.from({ length: 6 }, (_, i) => `https://shop.example/p/${i}`),
  output_schema: strict as never,
});
const broken = classicTask('broken', 1, { urls: ['https://fail.shop.example/1'] });
const steps: ManifestSpec = {
  key: 'steps',
  spec: {
    name: 'Steps',
    execution_type: 'scheduled',
    schedule: '0 6 * * 1',
    urls: ['https://search.example.com/search?q=espresso'],
    objective: 'Find and read product pages',
    execution_plan: {
      steps: [
        { action_type: 'search', input_source: 'static_urls', template_slug: 'example-search-template' },
        {
          action_type: 'scrape',
          input_source: 'previous_step',
          template_slug: 'product-page',
          output_schema: strict as never,
        },
      ],
    },
  } as TaskSpec,
};

const env = { TITAN_POLL_INTERVAL_MS: '20' };
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ scheduler: false, queueDelayMs: 0, urlDurationMs: 5 });
});
afterAll(async () => {
  await emulator.close();
});

const json = (stdout: string): TestReport => JSON.parse(stdout) as TestReport;

describe('titan test', () => {
  it('passes a good task, reports a failed execution, tests a multi-step task once; never leaves a task', async () => {
    const ws = createWorkspace('titan-test-');
    ws.writeManifests([good, broken, steps]);
    const result = await titan(ws, emulator, ['test', '--format', 'json'], env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('titan test: 3 task(s), 5 URL(s) to run (at most 3 per task).');
    const report = json(result.stdout);
    const byKey = new Map(report.tasks.map((t) => [t.key, t]));
    expect(byKey.get('good')).toMatchObject({
      status: 'passed',
      reason: 'create',
      urls_total: 6,
      urls_tested: 3,
      check: { records: 6, failing: 0 },
    });
    expect(byKey.get('good')?.samples).toHaveLength(3);
    expect(byKey.get('broken')).toMatchObject({ status: 'execution-failed', execution_status: 'failed' });
    expect(byKey.get('steps')).toMatchObject({ status: 'passed', check: { records: 2, failing: 0 } });
    expect(report.summary).toEqual({ passed: 2, failed: 0, 'no-records': 0, 'execution-failed': 1 });
    expect(await liveTasks(emulator)).toEqual([]);
    expect(existsSync(path.join(ws.dir, '.titan', 'journal.ndjson'))).toBe(false);
    const text = await titan(ws, emulator, ['test', '--target', 'good'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^passed good \(create, 3 of 6 URLs\)/m);
    expect(text.stdout).toContain('Tested 1 task on 3 URLs: 1 passed');
  });

  it('groups the violations of records that break the schema', async () => {
    const violating = await startEmulator({
      scheduler: false,
      queueDelayMs: 0,
      urlDurationMs: 5,
      violationRate: 1,
      recordsPerUrl: 3,
    });
    try {
      const ws = createWorkspace('titan-test-');
      ws.writeManifests([good]);
      const run = await titanAt(ws.dir, violating, ['test', '--format', 'json', '--sample', '2']);
      expect(run.code, run.stderr).toBe(2);
      const task = json(run.stdout).tasks[0];
      expect(task).toMatchObject({ status: 'failed', check: { records: 6, failing: 6 } });
      expect(task?.check?.violations.map((v) => [v.path, v.message, v.count])).toEqual([
        ['$._unexpected', 'is not allowed (additionalProperties: false)', 2],
        ['$.title', 'is required but missing', 2],
        ['$.title', 'must be string (got integer)', 2],
      ]);
      const markdown = await titanAt(ws.dir, violating, ['test', '--format', 'markdown', '--sample', '2']);
      expect(markdown.stdout, markdown.stderr).toContain('<!-- titan-test -->');
      expect(markdown.stdout).toContain('❌ FAILED');
      expect(await liveTasks(violating)).toEqual([]);
    } finally {
      await violating.close();
    }
  });

  it('refuses a run over its budget before creating anything (exit 4)', async () => {
    const ws = createWorkspace('titan-test-');
    ws.writeManifests([good, steps]);
    emulator.resetStats();
    const result = await titan(ws, emulator, ['test', '--budget', '3'], env);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('titan test: 2 task(s), 4 URL(s) to run (at most 3 per task), budget 3.');
    expect(result.stderr).toContain('Refusing to run 4 URL(s): the budget is 3 (--budget); nothing was run.');
    expect(emulator.stats().byRoute['POST /api/v1/tasks'] ?? 0).toBe(0);
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`${signal} mid-test leaves no temporary task once the next command has run`, async () => {
      const slow = await startEmulator({ scheduler: false, queueDelayMs: 0, urlDurationMs: 60_000 });
      try {
        const ws = createWorkspace('titan-test-');
        ws.writeManifests([good]);
        const run = spawnTitan(ws, slow, ['test'], env);
        for (let i = 0; i < 400 && (slow.stats().byRoute['POST /api/v1/tasks/:id/run'] ?? 0) === 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 25));
        expect((await liveTasks(slow)).map((t) => t.name)).toEqual([
          expect.stringMatching(/^titan-test \w+ good$/),
        ]);
        run.child.kill(signal);
        const ended = await run.done;
        if (signal === 'SIGINT') {
          expect(ended.code).toBe(130);
          expect(await liveTasks(slow)).toEqual([]);
          return;
        }
        const journal = readFileSync(path.join(ws.dir, '.titan', 'journal.ndjson'), 'utf8');
        expect(journal).toContain('"phase":"created"');
        // A plan neither counts it as unmanaged nor offers to adopt it.
        const plan = await titanAt(ws.dir, slow, ['plan', '--format', 'json']);
        expect(JSON.parse(plan.stdout)).toMatchObject({ unmanaged: 0 });
        const next = await titanAt(ws.dir, slow, ['apply', '--auto-approve']);
        expect(next.code, next.stderr).toBe(0);
        expect(next.stderr).toMatch(
          /Deleted 1 temporary task\(s\) an interrupted titan test left: "titan-test \w+ good"/,
        );
        expect((await liveTasks(slow)).map((t) => t.name)).toEqual(['Task good']);
      } finally {
        await slow.close();
      }
    });
  }
});

function titanAt(dir: string, target: Emulator, args: string[]) {
  return titan({ dir } as never, target, args, env);
}
