/**
 * Shared set-up for the runtime end-to-end tests: an emulator in the test process, a temporary workspace whose
 * titan.lock maps keys to tasks created directly in the emulator, and the built CLI spawned against both.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import type { Lockfile } from '../../src/core/lock/model.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { cleanEnv, runTitan, TITAN_BIN, type CliResult } from './examples-cli.js';

export { describeRun, type CliResult } from './examples-cli.js';

/** Polling interval for the CLI under test: the emulator is fast, the docs' 3 s would only slow the suite. */
export const TEST_POLL_MS = '40';

export interface RuntimeWorld {
  emulator: Emulator;
  /** The workspace folder (holds titan.lock); commands run with it as working directory by default. */
  dir: string;
  env: NodeJS.ProcessEnv;
  titan(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Creates a task in the emulator and records it under `key` in titan.lock; returns its id. */
  addTask(key: string, body: JsonObject): string;
  /** Raw bytes of a GET on the emulator (authorised like titan). */
  fetchBytes(pathOrUrl: string): Promise<Buffer>;
  fetchJson(pathOrUrl: string): Promise<JsonObject>;
}

/** One emulator and workspace for a `describe` block. */
export function useRuntimeWorld(options: EmulatorOptions = {}): () => RuntimeWorld {
  let world: RuntimeWorld | undefined;
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false, queueDelayMs: 20, urlDurationMs: 20, ...options });
    world = makeWorld(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
    // Exports written by the tests can be large (the 50,000-record one is ~200 MB): leave nothing behind.
    if (world) rmSync(world.dir, { recursive: true, force: true });
  });
  return () => {
    if (!world) throw new Error('the runtime world is not started yet (use it inside a test)');
    return world;
  };
}

function makeWorld(emulator: Emulator): RuntimeWorld {
  const dir = mkdtempSync(path.join(tmpdir(), 'titan-runtime-'));
  const env = cleanEnv({
    TITAN_API_URL: emulator.url,
    TITAN_TOKEN: emulator.token,
    TITAN_POLL_INTERVAL_MS: TEST_POLL_MS,
  });
  const lock: Lockfile = { version: 1, lineage: randomUUID(), serial: 1, origin: emulator.url, tasks: {} };
  const authorised = async (pathOrUrl: string): Promise<Response> => {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${emulator.url}${pathOrUrl}`;
    const response = await fetch(url, { headers: { Authorization: `Bearer ${emulator.token}` } });
    if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
    return response;
  };
  return {
    emulator,
    dir,
    env,
    titan: (args, options = {}) => runTitan(args, { cwd: options.cwd ?? dir, env: options.env ?? env }),
    addTask(key, body) {
      const task = emulator.remote.createTask(body);
      const id = String(task.id);
      lock.tasks[key] = {
        id,
        digest: `sha256:${'0'.repeat(64)}`,
        updated_at: String(task.updated_at),
        file: 'tasks.yaml',
        protect: false,
      };
      lock.serial += 1;
      writeFileSync(path.join(dir, 'titan.lock'), `${JSON.stringify(lock, null, 2)}\n`);
      return id;
    },
    fetchBytes: async (pathOrUrl) => Buffer.from(await (await authorised(pathOrUrl)).arrayBuffer()),
    fetchJson: async (pathOrUrl) => (await (await authorised(pathOrUrl)).json()) as JsonObject,
  };
}

/** A classic single task body. */
export function taskBody(name: string, urls: string[], properties: JsonObject): JsonObject {
  return {
    name,
    urls,
    objective: `Extract ${Object.keys(properties).join(', ')}`,
    output_schema: { type: 'object', properties },
    execution_type: 'single',
  };
}

/** The built CLI as a child process, for tests that signal it. */
export function spawnTitan(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [TITAN_BIN, ...args], { cwd, env });
}

/** The execution id from `Started execution <id> of …`. */
export function startedExecutionId(stdout: string): string {
  const match = /Started execution (\S+) of /.exec(stdout);
  if (!match?.[1]) throw new Error(`no "Started execution" line in:\n${stdout}`);
  return match[1];
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF line ends) → rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
