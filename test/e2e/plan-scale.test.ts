/**
 * A plan of 10,000 managed tasks against the emulator (page size 100): one paginated listing — at most
 * ⌈10,000/100⌉ + 2 list requests — and no per-task read (list items are full; the read economy with summary items
 * is covered by plan.test.ts). The tasks are seeded in-process (no HTTP, no stats), the lockfile and manifests
 * written directly.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lockfile, LockEntry } from '../../src/core/lock/model.js';
import type { TaskSpec } from '../../src/core/model.js';
import { appliedDigest } from '../../src/core/plan/normalize.js';
import { createBodyFromSpec } from '../../src/core/task-body.js';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { cleanEnv, describeRun, runTitan } from './examples-cli.js';

const COUNT = 10_000;
const PAGE = 100;

const specOf = (i: number): TaskSpec => ({
  name: `Product ${i}`,
  execution_type: i % 4 === 0 ? 'scheduled' : 'single',
  ...(i % 4 === 0 ? { schedule: `${i % 60} * * * *` } : {}),
  urls: [`https://shop.example/p/${i}`],
  objective: 'Extract the product name and price',
  output_schema: { type: 'object', properties: { name: { type: 'string' }, price: { type: 'number' } } },
});

describe.each(['full'] as const)('a 10,000-task plan with %s list items', (listItems) => {
  let emulator: Emulator;
  let dir: string;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false, listItems, maxPageSize: PAGE });
    dir = mkdtempSync(path.join(tmpdir(), 'titan-plan-scale-'));
    const tasks: Record<string, LockEntry> = {};
    const files: string[][] = [[], [], [], []];
    for (let i = 0; i < COUNT; i += 1) {
      const spec = specOf(i);
      const task = emulator.remote.createTask(createBodyFromSpec(spec));
      const key = `product-${String(i).padStart(5, '0')}`;
      tasks[key] = {
        id: String(task.id),
        digest: appliedDigest(spec),
        updated_at: String(task.updated_at),
        file: `tasks-${i % 4}.yaml`,
        protect: false,
      };
      files[i % 4]?.push(
        `apiVersion: titan/v1\nkind: Task\nmetadata: {name: ${key}}\nspec: ${JSON.stringify(spec)}\n`,
      );
    }
    files.forEach((docs, n) => writeFileSync(path.join(dir, `tasks-${n}.yaml`), docs.join('---\n')));
    const lock: Lockfile = {
      version: 1,
      lineage: '9d7c3b1a-0000-4000-8000-00000000a10c',
      serial: 1,
      origin: emulator.url,
      tasks,
    };
    writeFileSync(path.join(dir, 'titan.lock'), `${JSON.stringify(lock)}\n`);
  }, 120_000);
  afterAll(() => emulator.close());

  it('lists in ⌈N/100⌉ + 2 requests at most and reads no task one by one', async () => {
    emulator.resetStats();
    const result = await runTitan(['plan', '--detailed-exitcode'], {
      cwd: dir,
      env: cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token }),
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toBe('No changes. Live tasks match the manifests.\n10000 unchanged.\n');
    const stats = emulator.stats().byRoute;
    expect(stats['GET /api/v1/tasks']).toBeLessThanOrEqual(Math.ceil(COUNT / PAGE) + 2);
    expect(stats['GET /api/v1/tasks/:id'] ?? 0).toBe(0);
    expect(emulator.stats().requests).toBe(stats['GET /api/v1/tasks']);
  }, 120_000);
});
