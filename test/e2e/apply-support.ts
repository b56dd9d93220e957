/**
 * Shared set-up for the apply, crash and fault tests: temporary git workspaces with generated manifests, an
 * in-process emulator, the built CLI, and in-process use cases where spawning would only add start-up time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { runApply, type ApplyDeps, type ApplyOptions } from '../../src/app/apply.js';
import { preparePlan } from '../../src/app/plan.js';
import type { JsonObject } from '../../src/core/json.js';
import type { LiveTask, TaskSpec } from '../../src/core/model.js';
import { createClient } from '../../src/io/api/client.js';
import type { TaskServiceClient } from '../../src/core/service/types.js';
import { processLockEnvironment, sleepUnlessAborted } from '../../src/io/workspace-lock.js';
import { resolveWorkspace } from '../../src/io/workspace.js';
import type { Emulator } from '../../src/emulator/index.js';
import { cleanEnv, runTitan, TITAN_BIN, type CliResult } from './examples-cli.js';

export { describeRun, type CliResult } from './examples-cli.js';

/** A manifest's content, before it is written as YAML. */
export interface ManifestSpec {
  key: string;
  spec: TaskSpec;
  previousNames?: string[];
  protect?: boolean;
  labels?: Record<string, string>;
}

/** A classic single task whose fields depend on `key` and `version` (bump the version to force an update). */
export function classicTask(key: string, version = 1, extra: Partial<TaskSpec> = {}): ManifestSpec {
  return {
    key,
    spec: {
      name: `Task ${key}`,
      execution_type: 'single',
      urls: [`https://shop.example/${key}`],
      objective: `Extract the price of ${key} (v${version})`,
      output_schema: { type: 'object', properties: { price: { type: 'number' } } },
      ...extra,
    },
  };
}

export function manifestYaml(task: ManifestSpec): string {
  const metadata: JsonObject = { name: task.key };
  if (task.labels) metadata.labels = task.labels;
  if (task.previousNames) metadata.previousNames = task.previousNames;
  if (task.protect !== undefined) metadata.protect = task.protect;
  return stringify({
    apiVersion: 'titan/v1',
    kind: 'Task',
    metadata,
    spec: task.spec as unknown as JsonObject,
  });
}

export interface Workspace {
  dir: string;
  /** Replaces the manifests in `tasks/` with exactly these (one file per task). */
  writeManifests(tasks: readonly ManifestSpec[]): void;
  git(...args: string[]): string;
  commitAll(message: string): void;
}

/**
 * A temporary git repository with `tasks/` for manifests and `.titan/` ignored. `inMemory` puts it on tmpfs when
 * the machine has one: a SIGKILL leaves the page cache intact, so crash tests lose nothing by skipping the disk.
 */
export function createWorkspace(prefix = 'titan-apply-', inMemory = false): Workspace {
  const base = inMemory && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(path.join(base, prefix));
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  git('init', '-q');
  writeFileSync(path.join(dir, '.gitignore'), '.titan/\n');
  mkdirSync(path.join(dir, 'tasks'));
  return {
    dir,
    git,
    writeManifests(tasks) {
      const folder = path.join(dir, 'tasks');
      for (const file of readdirSync(folder)) rmSync(path.join(folder, file));
      for (const task of tasks) writeFileSync(path.join(folder, `${task.key}.yaml`), manifestYaml(task));
    },
    commitAll(message) {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
    },
  };
}

export function titanEnv(emulator: Emulator, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token, ...extra });
}

/** Runs the built CLI in the workspace against the emulator. */
export function titan(
  ws: Workspace,
  emulator: Emulator,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return runTitan(args, { cwd: ws.dir, env: titanEnv(emulator, env) });
}

/** Starts the built CLI without waiting for it (signals, kills, concurrency). */
export function spawnTitan(ws: Workspace, emulator: Emulator, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(process.execPath, [TITAN_BIN, ...args], {
    cwd: ws.dir,
    env: titanEnv(emulator, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exitedAt = 0;
  child.on('exit', () => (exitedAt = Date.now()));
  /** `exitedAt`: when the process ended (Date.now()), before its output pipes closed. */
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null; exitedAt: number }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr, exitedAt }));
    },
  );
  return { child, done, output: () => ({ stdout, stderr }) };
}

export function clientFor(emulator: Emulator): TaskServiceClient {
  return createClient({ origin: emulator.url, token: emulator.token });
}

/** Every live task, full specs. */
export async function liveTasks(emulator: Emulator): Promise<LiveTask[]> {
  return clientFor(emulator).listAllTasks();
}

/** Writes (POST/PUT/PATCH/DELETE on tasks) the emulator has received. */
export function writeCount(emulator: Emulator): number {
  const routes = emulator.stats().byRoute;
  return Object.entries(routes)
    .filter(([route]) => /^(POST|PUT|PATCH|DELETE) \/api\/v1\/tasks/.test(route))
    .reduce((sum, [, count]) => sum + count, 0);
}

const sink = () => Object.assign(new PassThrough(), { isTTY: false, columns: 100 });

export interface InProcessExtras {
  client?: TaskServiceClient;
  /** A terminal prompt (default: none, as in CI). */
  ask?: (question: string) => Promise<string>;
  /** Replaces the real clock, sleep, randomness… */
  deps?: Partial<ApplyDeps>;
}

/** `titan apply` in this process (no start-up cost), non-interactive. Resolves the exit code and the output. */
export async function applyInProcess(
  ws: Workspace,
  emulator: Emulator,
  options: Partial<ApplyOptions> = {},
  extras: InProcessExtras = {},
): Promise<{ code: number; output: string }> {
  const { client = clientFor(emulator), ask } = extras;
  const out = sink();
  let output = '';
  out.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deps: ApplyDeps = {
    client,
    origin: emulator.url,
    workspace: resolveWorkspace([], ws.dir),
    cwd: ws.dir,
    env: {},
    terminal: { stdout: out, stderr: out, color: false, stderrColor: false, ...(ask ? { ask } : {}) },
    lockEnvironment: processLockEnvironment({}, (message) => (output += `Warning: ${message}\n`)),
    controls: { stop: new AbortController().signal, abort: new AbortController().signal },
    now: () => new Date(),
    sleep: sleepUnlessAborted,
    random: Math.random,
    ...extras.deps,
  };
  try {
    await runApply(deps, {
      paths: [],
      autoApprove: true,
      parallelism: 8,
      continueOnError: false,
      verify: false,
      lockTimeoutMs: 0,
      allowMassDelete: true,
      allowForeignOrigin: false,
      replace: [],
      targets: [],
      ...options,
    });
    return { code: 0, output };
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode ?? 99;
    const hint = (error as { hint?: string }).hint;
    return { code, output: `${output}${(error as Error).message}\n${hint === undefined ? '' : `${hint}\n`}` };
  }
}

/** Does a fresh plan (in this process) have no changes? */
export async function planIsEmpty(
  ws: Workspace,
  emulator: Emulator,
): Promise<{ empty: boolean; keys: string[] }> {
  const prepared = await preparePlan(
    {
      client: clientFor(emulator),
      origin: emulator.url,
      workspace: resolveWorkspace([], ws.dir),
      cwd: ws.dir,
      env: {},
    },
    { paths: [], allowMassDelete: true },
  );
  const keys = prepared.plan.changes.filter((c) => c.action !== 'noop').map((c) => `${c.action} ${c.key}`);
  return { empty: keys.length === 0, keys };
}

export const newLineage = randomUUID;
