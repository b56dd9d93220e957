/**
 * `titan import KEY TASK_ID` adopts one existing task under a manifest key; `titan import --all` writes a
 * manifest for every unmanaged task and records them all, so the next plan is empty.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import { InvalidInputError, OperationalError, RefusedError } from '../core/errors.js';
import { hasErrors } from '../core/diagnostics.js';
import { isJsonObject, type JsonValue } from '../core/json.js';
import type { LockEntry, Lockfile } from '../core/lock/model.js';
import { keyOfId, managedIds } from '../core/lock/ops.js';
import { TASK_SPEC_FIELDS, type DesiredTask, type LiveTask, type TaskSpec } from '../core/model.js';
import { appliedDigest, normalizeSpec } from '../core/plan/normalize.js';
import { planChanges } from '../core/plan/planner.js';
import { NotFoundError } from '../io/api/errors.js';
import { sensitiveValuesOf } from '../core/sensitive.js';
import { loadManifests } from '../io/manifests.js';
import { lockAndRecover, toSessionDeps, type ApplyDeps } from './apply.js';
import { ApplySession } from './apply-session.js';
import { lockFilePath } from './apply-run.js';
import { readFullTasks } from './plan.js';
import { loadingOptionsOf } from './manifest-loading.js';

export interface ImportOptions {
  paths: string[];
  lockTimeoutMs: number;
  allowForeignOrigin: boolean;
}

/** Holds the workspace lock, settles a pending journal, and gives `body` a session to record lock changes. */
async function inLockedSession<T>(
  deps: ApplyDeps,
  options: ImportOptions,
  command: string,
  body: (session: ApplySession) => Promise<T>,
): Promise<T> {
  const { lock, recovered } = await lockAndRecover(deps, options, command);
  try {
    const session = await ApplySession.open(toSessionDeps(deps), recovered.lock, randomUUID());
    let result: T;
    try {
      result = await body(session);
    } finally {
      await session.finish();
    }
    return result;
  } finally {
    await lock.release();
  }
}

async function desiredTasks(deps: ApplyDeps, paths: readonly string[]): Promise<DesiredTask[]> {
  const manifests = await loadManifests(paths.length > 0 ? [...paths] : ['.'], {
    cwd: deps.cwd,
    env: deps.env,
    workspaceRoot: deps.workspace.root,
    ...loadingOptionsOf(deps, deps.workspace),
  });
  for (const task of manifests.tasks) deps.sensitive?.add(sensitiveValuesOf(task));
  if (hasErrors(manifests.diagnostics)) {
    throw new InvalidInputError(
      'The manifests have errors; nothing was imported.',
      'Run titan validate to see them, fix them, then import again.',
    );
  }
  return manifests.tasks;
}

/** `titan import KEY TASK_ID`. */
export async function runImport(
  deps: ApplyDeps,
  options: ImportOptions,
  key: string,
  taskId: string,
): Promise<void> {
  const desired = (await desiredTasks(deps, options.paths)).find((task) => task.key === key);
  if (desired === undefined) {
    throw new InvalidInputError(
      `No manifest declares the key "${key}"; nothing was imported.`,
      `Write a manifest with metadata.name: ${key} first (titan import --all writes one for every unmanaged task).`,
    );
  }
  await inLockedSession(deps, options, 'import', async (session) => {
    const lock = session.current();
    const holder = keyOfId(lock, taskId);
    if (holder === key) {
      deps.terminal.stdout.write(`${key} already manages task ${taskId}; nothing to do.\n`);
      return;
    }
    if (holder !== undefined) {
      throw new RefusedError(
        `Task ${taskId} is already managed as ${holder}.`,
        `To manage it as ${key}, rename the entry: titan state mv ${holder} ${key}`,
      );
    }
    const existing = lock.tasks[key];
    if (existing !== undefined) {
      throw new RefusedError(
        `${key} already manages another task (${existing.id}).`,
        `To manage ${taskId} instead, first forget the other one: titan state rm ${key}`,
      );
    }
    const live = await fetchTask(deps, taskId);
    const spec = live.spec as TaskSpec;
    await session.record({ set: { [key]: importedEntry(desired, live, spec, deps) } });
    const differs = differingFields(spec, desired.spec);
    deps.terminal.stdout.write(
      `Imported task ${taskId} as ${key}.` +
        (differs.length === 0
          ? ' It matches its manifest.\n'
          : ` It differs from its manifest in ${differs.join(', ')}; titan plan shows the update that apply would make.\n`),
    );
  });
}

async function fetchTask(deps: ApplyDeps, taskId: string): Promise<LiveTask> {
  try {
    const task = await deps.client.getTask(taskId);
    if (task.spec === undefined)
      throw new OperationalError(`The service returned no fields for task ${taskId}.`);
    return task;
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new InvalidInputError(`There is no task ${taskId} on ${deps.origin}; nothing was imported.`);
    }
    throw error;
  }
}

/** Records what the service holds, so the next plan shows the manifest's differences as an update, not drift. */
function importedEntry(desired: DesiredTask, live: LiveTask, spec: TaskSpec, deps: ApplyDeps): LockEntry {
  const entry: LockEntry = {
    id: live.id,
    digest: appliedDigest(spec, desired.sensitivePaths),
    updated_at: live.updated_at,
    file: lockFilePath(desired.source.file, { cwd: deps.cwd, workspaceRoot: deps.workspace.root }),
    protect: desired.protect,
  };
  if (desired.sensitivePaths.length > 0) entry.sensitive = [...desired.sensitivePaths].sort();
  return entry;
}

function differingFields(live: TaskSpec, desired: TaskSpec): string[] {
  const a = normalizeSpec(live) as unknown as Record<string, unknown>;
  const b = normalizeSpec(desired) as unknown as Record<string, unknown>;
  return TASK_SPEC_FIELDS.filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field]));
}

export interface ImportAllOptions extends ImportOptions {
  /** Where the manifests go (default: `imported/` in the workspace). */
  outDir?: string;
}

/**
 * `titan import --all`: unmanaged tasks that equal a manifest without a lock entry are adopted under its key;
 * every other one gets a manifest in `outDir` (key from its name, slugified, de-duplicated) and a lock entry.
 */
export async function runImportAll(deps: ApplyDeps, options: ImportAllOptions): Promise<void> {
  const desired = await desiredTasks(deps, options.paths);
  const outDir = path.resolve(deps.cwd, options.outDir ?? path.join(deps.workspace.root, 'imported'));
  if (path.relative(deps.workspace.root, outDir).startsWith('..')) {
    deps.terminal.stderr.write(
      `Warning: ${outDir} is outside the workspace; plan and apply only see it when it is among their paths.\n`,
    );
  }
  await inLockedSession(deps, options, 'import', async (session) => {
    const lock = session.current();
    const live = await unmanagedWithSpecs(deps, lock);
    const adoptions = planChanges(desired, [...live.values()], lock, { origin: deps.origin }).changes.filter(
      (change) => change.action === 'adopt',
    );
    const adoptedIds = new Set(adoptions.map((change) => change.id));
    const desiredByKey = new Map(desired.map((task) => [task.key, task]));
    const set: Record<string, LockEntry> = {};
    for (const change of adoptions) {
      const task = desiredByKey.get(change.key) as DesiredTask;
      const found = live.get(change.id as string) as LiveTask;
      set[change.key] = importedEntry(task, found, found.spec as TaskSpec, deps);
    }
    const taken = new Set([...desiredByKey.keys(), ...Object.keys(lock.tasks)]);
    const fresh = [...live.values()]
      .filter((task) => !adoptedIds.has(task.id))
      .sort((a, b) =>
        a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1,
      );
    const written: string[] = [];
    if (fresh.length > 0) await mkdir(outDir, { recursive: true });
    for (const task of fresh) {
      const key = uniqueKey(
        slugify(task.name),
        (candidate) => taken.has(candidate) || existsSync(path.join(outDir, `${candidate}.yaml`)),
      );
      taken.add(key);
      const file = path.join(outDir, `${key}.yaml`);
      await writeFile(file, renderManifest(key, task.spec as TaskSpec), { flag: 'wx' });
      written.push(path.relative(deps.cwd, file));
      set[key] = {
        id: task.id,
        digest: appliedDigest(task.spec as TaskSpec),
        updated_at: task.updated_at,
        file: lockFilePath(file, { cwd: deps.cwd, workspaceRoot: deps.workspace.root }),
        protect: false,
      };
    }
    await session.record({ set });
    const out = deps.terminal.stdout;
    if (adoptions.length === 0 && written.length === 0) {
      out.write('No unmanaged tasks: every task on the service is already managed.\n');
      return;
    }
    for (const change of adoptions)
      out.write(`<= adopted ${change.key} (${change.id}): it equals its manifest\n`);
    for (const file of written) out.write(`+ wrote ${file}\n`);
    out.write(
      `Imported ${adoptions.length + written.length} task(s). Commit the manifests and titan.lock.\n`,
    );
  });
}

/** The unmanaged live tasks by id, in listing order, with full specs (read like the plan's: failing closed). */
async function unmanagedWithSpecs(deps: ApplyDeps, lock: Lockfile): Promise<Map<string, LiveTask>> {
  const managed = managedIds(lock);
  const live = new Map<string, LiveTask>();
  for (const task of await deps.client.listAllTasks()) {
    if (!managed.has(task.id) && task.status !== 'deleted') live.set(task.id, task);
  }
  const summaries = [...live.values()].filter((task) => task.spec === undefined).map((task) => task.id);
  await readFullTasks(deps.client, summaries, live);
  return live;
}

const KEY_MAX = 63;

/** A manifest key from a task name: lower case, `[a-z0-9-]`, no leading/trailing/double dash, at most 63 chars. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, KEY_MAX)
    .replace(/-+$/g, '');
  return slug === '' ? 'task' : slug;
}

/** `base`, else `base-2`, `base-3`, … (shortening `base` so the key stays within 63 characters). */
export function uniqueKey(base: string, taken: (key: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, KEY_MAX - suffix.length).replace(/-+$/g, '')}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}

/** A manifest for a live task; `${` in values is written as `$${` so it is not taken for interpolation. */
export function renderManifest(key: string, spec: TaskSpec): string {
  const ordered: Record<string, JsonValue> = {};
  for (const field of TASK_SPEC_FIELDS) {
    const value = spec[field];
    if (value !== undefined) ordered[field] = escapeInterpolation(value as JsonValue);
  }
  const doc = { apiVersion: 'titan/v1', kind: 'Task', metadata: { name: key }, spec: ordered };
  return stringify(doc, { lineWidth: 0 });
}

function escapeInterpolation(value: JsonValue): JsonValue {
  if (typeof value === 'string') return value.split('${').join('$${');
  if (Array.isArray(value)) return value.map(escapeInterpolation);
  if (isJsonObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)]));
  return value;
}
