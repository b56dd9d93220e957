/**
 * The crash harness: a workspace that manages 20 tasks (plus unmanaged tasks titan must never touch), manifests
 * edited into a 30-change plan (creates, updates, deletes, moves), an apply killed with SIGKILL at a chosen
 * boundary (a durable journal record, an answer not yet journalled, a compaction) or at a random instant after
 * its first write reached the service, then re-applies until converged and checks every promise of design.md §7.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { deepEqual } from '../../src/core/json.js';
import { specFromBody } from '../../src/core/task-body.js';
import { appliedDigest, specsEqual } from '../../src/core/plan/normalize.js';
import type { Lockfile } from '../../src/core/lock/model.js';
import { createBodyFromSpec } from '../../src/core/task-body.js';
import type { LiveTask } from '../../src/core/model.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { readLockfile, writeLockfile } from '../../src/io/lockfile.js';
import {
  applyInProcess,
  classicTask,
  createWorkspace,
  liveTasks,
  planIsEmpty,
  spawnTitan,
  writeCount,
  type ManifestSpec,
  type Workspace,
} from '../e2e/apply-support.js';

/** What happens to the workspace between the crash and the re-apply. */
export type Aftermath =
  /** The same machine runs apply again: lockfile and journal as the crash left them. */
  | 'keep'
  /** A new CI runner: titan.lock as last committed, no `.titan/` (journal and workspace lock lost). */
  | 'reset';

export interface CrashCase {
  /** SIGKILL at the N-th boundary of any kind (TITAN_TEST_CRASH_AFTER), or … */
  boundary?: number;
  /** … at the N-th boundary of one kind, `LABEL:N` (TITAN_TEST_CRASH_AT, e.g. `answered:create:3`), or … */
  at?: string;
  /** … this many milliseconds after the first write reached the service. */
  afterFirstWriteMs?: number;
  aftermath: Aftermath;
  parallelism: number;
  emulator?: EmulatorOptions;
}

export interface CrashOutcome {
  /** The crashing apply finished on its own (the boundary was past its last one, or the kill came too late). */
  completed: boolean;
  /** Writes the service had received when the kill was sent (random-instant cases). */
  writesAtKill?: number;
  reapplies: number;
  problems: string[];
}

const MANAGED = 20;

export const initialTasks = (): ManifestSpec[] =>
  Array.from({ length: MANAGED }, (_, i) => classicTask(`k${String(i + 1).padStart(2, '0')}`));

/** 10 creates, 8 updates, 1 move, 1 move with update, 10 deletes: 30 changes. */
export function editedTasks(): ManifestSpec[] {
  const tasks: ManifestSpec[] = [];
  for (let i = 1; i <= 8; i++) tasks.push(classicTask(`k${String(i).padStart(2, '0')}`, 2));
  tasks.push({ ...classicTask('k09'), key: 'm09', previousNames: ['k09'] });
  tasks.push({ ...classicTask('k10', 3), key: 'm10', previousNames: ['k10'] });
  for (let i = 1; i <= 10; i++) tasks.push(classicTask(`n${String(i).padStart(2, '0')}`));
  return tasks;
}

const UNMANAGED = 4;

/** Tasks someone else created: titan must neither change nor adopt them. */
function seedUnmanaged(emulator: Emulator): Map<string, LiveTask> {
  const seeded = new Map<string, LiveTask>();
  for (let i = 1; i <= UNMANAGED; i++) {
    const body = {
      name: i <= 2 ? `Task k0${i}` : `Foreign ${i}`, // same names as managed tasks: names are not identity
      execution_type: 'single',
      urls: [`https://other.example/${i}`],
      objective: `Someone else's task ${i}`,
      output_schema: { type: 'object' },
    };
    const created = emulator.remote.createTask(body);
    seeded.set(String(created.id), {
      id: String(created.id),
      status: 'active',
      created_at: String(created.created_at),
      updated_at: String(created.updated_at),
      name: body.name,
      spec: specFromBody(created),
    });
  }
  return seeded;
}

export interface Scenario {
  emulator: Emulator;
  ws: Workspace;
  unmanaged: Map<string, LiveTask>;
  close(): Promise<void>;
}

/**
 * Emulator + workspace that manages the initial tasks (committed), with the edited manifests written unless
 * `edit` is false.
 */
export async function prepareScenario(options: EmulatorOptions = {}, edit = true): Promise<Scenario> {
  const emulator = await createEmulator({ quiet: true, port: 0, scheduler: false, ...options });
  const unmanaged = seedUnmanaged(emulator);
  const ws = createWorkspace('titan-crash-', true);
  ws.writeManifests(initialTasks());
  await seedManagedTasks(ws, emulator, initialTasks());
  ws.commitAll('initial tasks');
  if (edit) {
    ws.writeManifests(editedTasks());
    ws.commitAll('edit tasks');
  }
  return {
    emulator,
    ws,
    unmanaged,
    close: async () => {
      await emulator.close();
      rmSync(ws.dir, { recursive: true, force: true });
    },
  };
}

/**
 * What a completed apply of `tasks` leaves behind — the tasks on the service and their titan.lock — made directly,
 * because the harness needs it hundreds of times (a test checks that a plan of it is empty).
 */
async function seedManagedTasks(
  ws: Workspace,
  emulator: Emulator,
  tasks: readonly ManifestSpec[],
): Promise<void> {
  const lock: Lockfile = { version: 1, lineage: randomUUID(), serial: 1, origin: emulator.url, tasks: {} };
  for (const task of tasks) {
    const created = emulator.remote.createTask(createBodyFromSpec(task.spec));
    lock.tasks[task.key] = {
      id: String(created.id),
      digest: appliedDigest(task.spec),
      updated_at: String(created.updated_at),
      file: `tasks/${task.key}.yaml`,
      protect: false,
    };
  }
  await writeLockfile(path.join(ws.dir, 'titan.lock'), lock);
}

/** Runs one case on a fresh scenario and reports every broken promise. */
export async function runCrashCase(crash: CrashCase): Promise<CrashOutcome> {
  const scenario = await prepareScenario(crash.emulator);
  try {
    const { emulator, ws } = scenario;
    // Every create reaches this emulator within its latency, so a short window keeps re-applies quick.
    const env: NodeJS.ProcessEnv = { TITAN_TEST_CREATE_WINDOW_MS: '250' };
    if (crash.boundary !== undefined) env.TITAN_TEST_CRASH_AFTER = String(crash.boundary);
    if (crash.at !== undefined) env.TITAN_TEST_CRASH_AT = crash.at;
    const run = spawnTitan(
      ws,
      emulator,
      ['apply', '--auto-approve', '--allow-mass-delete', '--parallelism', String(crash.parallelism)],
      env,
    );
    const kill =
      crash.afterFirstWriteMs !== undefined
        ? killAfterFirstWrite(emulator, () => run.child.kill('SIGKILL'), crash.afterFirstWriteMs)
        : undefined;
    const result = await run.done;
    kill?.cancel();
    const completed = result.signal === null;
    const problems: string[] = [];
    if (completed && result.code !== 0)
      problems.push(`the apply failed without a crash (exit ${result.code}):\n${result.stderr}`);
    const writesAtKill = kill?.writesAtKill();
    if (kill !== undefined && !completed && (writesAtKill ?? 0) === 0)
      problems.push('the kill came before any write reached the service: the case tests nothing');
    if (crash.aftermath === 'reset') {
      ws.git('checkout', '--', 'titan.lock');
      rmSync(path.join(ws.dir, '.titan'), { recursive: true, force: true });
    }
    let reapplies = 0;
    for (; reapplies < 2;) {
      reapplies++;
      const again = await applyInProcess(ws, emulator, { parallelism: 4 });
      if (again.code === 0) break;
      if (reapplies === 2) problems.push(`re-apply failed twice (exit ${again.code}):\n${again.output}`);
    }
    problems.push(...(await checkConverged(scenario)));
    return { completed, reapplies, problems, ...(writesAtKill !== undefined ? { writesAtKill } : {}) };
  } finally {
    await scenario.close();
  }
}

/** Calls `kill` `delayMs` after the emulator received its first write; reports the writes received by then. */
function killAfterFirstWrite(emulator: Emulator, kill: () => void, delayMs: number) {
  let atKill: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const poll = setInterval(() => {
    if (writeCount(emulator) === 0) return;
    clearInterval(poll);
    timer = setTimeout(() => {
      atKill = writeCount(emulator);
      kill();
    }, delayMs);
  }, 2);
  return {
    writesAtKill: () => atKill,
    cancel(): void {
      clearInterval(poll);
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/** Live equals desired by key, no duplicates, unmanaged tasks untouched, lockfile valid, plan empty. */
export async function checkConverged(scenario: Scenario): Promise<string[]> {
  const { emulator, ws, unmanaged } = scenario;
  const problems: string[] = [];
  const lockPath = path.join(ws.dir, 'titan.lock');
  const lock = existsSync(lockPath) ? await readLockfile(lockPath).catch((e: Error) => e) : null;
  if (lock === null || lock instanceof Error)
    return [`titan.lock is unusable: ${String(lock)}\n${readFileSafe(lockPath)}`];
  const live = await liveTasks(emulator);
  const byId = new Map(live.map((task) => [task.id, task]));
  const desired = editedTasks();
  const lockKeys = Object.keys(lock.tasks).sort();
  const desiredKeys = desired.map((t) => t.key).sort();
  if (!deepEqual(lockKeys, desiredKeys))
    problems.push(`lock keys ${lockKeys.join(',')} ≠ desired ${desiredKeys.join(',')}`);
  for (const task of desired) {
    const entry = lock.tasks[task.key];
    const remote = entry === undefined ? undefined : byId.get(entry.id);
    if (remote?.spec === undefined) problems.push(`${task.key}: no live task for its lock entry`);
    else if (!specsEqual(remote.spec, task.spec))
      problems.push(`${task.key}: live task ${remote.id} differs from its manifest`);
  }
  const expected = desired.length + unmanaged.size;
  if (live.length !== expected) {
    problems.push(
      `${live.length} live tasks, expected ${expected} (duplicates or leftovers): ${live
        .map((t) => t.name)
        .sort()
        .join(', ')}`,
    );
  }
  for (const [id, before] of unmanaged) {
    const now = byId.get(id);
    if (now === undefined) problems.push(`unmanaged task ${id} was deleted`);
    else if (now.updated_at !== before.updated_at || !deepEqual(now.spec, before.spec))
      problems.push(`unmanaged task ${id} was changed`);
    if (Object.values(lock.tasks).some((entry) => entry.id === id))
      problems.push(`unmanaged task ${id} was adopted`);
  }
  const plan = await planIsEmpty(ws, emulator);
  if (!plan.empty) problems.push(`a further plan is not empty: ${plan.keys.join(', ')}`);
  return problems;
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(missing)';
  }
}
