/** Builders for planner inputs: desired tasks, live tasks and lockfiles, with readable defaults. */
import type { Lockfile, LockEntry } from '../../../src/core/lock/model.js';
import type { DesiredTask, LiveTask, TaskSpec } from '../../../src/core/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';

export const ORIGIN = 'https://api.titan.test';

export function spec(overrides: Partial<TaskSpec> = {}): TaskSpec {
  return {
    name: 'Product prices',
    execution_type: 'single',
    urls: ['https://shop.example/p/1'],
    objective: 'Extract the product name and price',
    output_schema: {
      type: 'object',
      properties: { name: { type: 'string' }, price: { type: 'number' } },
      required: ['name'],
    },
    ...overrides,
  };
}

export function desired(
  key: string,
  taskSpec: TaskSpec = spec(),
  extra: Partial<DesiredTask> = {},
): DesiredTask {
  return {
    key,
    spec: taskSpec,
    labels: {},
    previousNames: [],
    protect: false,
    source: { file: `tasks/${key}.yaml`, line: 1, column: 1 },
    sensitivePaths: [],
    ...extra,
  };
}

export function live(
  id: string,
  taskSpec: TaskSpec | undefined = spec(),
  extra: Partial<LiveTask> = {},
): LiveTask {
  const task: LiveTask = {
    id,
    status: 'active',
    created_at: '2024-05-01T10:00:00.000Z',
    updated_at: '2024-05-01T10:00:00.000Z',
    name: taskSpec?.name ?? 'Product prices',
    ...extra,
  };
  if (taskSpec !== undefined) {
    task.spec = taskSpec;
    task.execution_type = taskSpec.execution_type;
    if (taskSpec.schedule !== undefined) task.schedule = taskSpec.schedule;
  }
  return task;
}

/** The live task as a list summary (no spec). */
export function summary(task: LiveTask): LiveTask {
  const { spec: _spec, ...rest } = task;
  return rest;
}

export function entry(id: string, applied: TaskSpec = spec(), extra: Partial<LockEntry> = {}): LockEntry {
  return {
    id,
    digest: appliedDigest(applied, extra.sensitive ?? []),
    updated_at: '2024-05-01T10:00:00.000Z',
    file: 'tasks/x.yaml',
    protect: false,
    ...extra,
  };
}

export function lockOf(tasks: Record<string, LockEntry>, serial = 3): Lockfile {
  return { version: 1, lineage: '6f1c2d3e-0000-4000-8000-000000000001', serial, origin: ORIGIN, tasks };
}
