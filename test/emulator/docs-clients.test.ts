/**
 * The Titan docs' own client scripts (test/fixtures/docs-clients, copied verbatim) run unmodified against
 * `titan emulator` — the real process a user starts (`npm run build` first), found through its start line. They
 * need bash, curl, jq and python3: a missing tool fails these tests, it never skips them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { startEmulatorProcess, type EmulatorProcess } from '../helpers/emulator-process.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/docs-clients/', import.meta.url));
/** Runs a docs Python script unmodified and saves the records it ended with (it only prints them). */
const PYTHON_RUNNER = [
  'import json, runpy, sys',
  "g = runpy.run_path(sys.argv[1], run_name='__main__')",
  "json.dump(g.get('records', g.get('results')), open('results.json', 'w'))",
  "print('final status=' + str(g.get('status')))",
].join('\n');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Setup {
  emulator: EmulatorProcess;
  cwd: string;
  env: Record<string, string>;
}

/** A fresh `titan emulator` process and working folder per script (tests run concurrently), stopped afterwards. */
async function withSetup(test: (setup: Setup) => Promise<void>): Promise<void> {
  const emulator = await startEmulatorProcess([
    '--queue-delay',
    '100',
    '--url-duration',
    '100',
    '--no-scheduler',
  ]);
  const cwd = await mkdtemp(path.join(tmpdir(), 'titan-docs-client-'));
  try {
    const token = emulator.token as string; // made up and printed on the start line
    await test({ emulator, cwd, env: { TITAN_API_URL: emulator.url, TITAN_TOKEN: token } });
    expect(await emulator.stop()).toBe(0);
  } finally {
    emulator.child.kill('SIGKILL');
    await rm(cwd, { recursive: true, force: true });
  }
}

async function getData(emulator: EmulatorProcess, pathname: string) {
  const response = await fetch(`${emulator.url}/api/v1${pathname}`, {
    headers: { Authorization: `Bearer ${emulator.token as string}` },
  });
  return ((await response.json()) as { data: { id: string; status: string }[] }).data;
}

/** The script's requests from the emulator's log on stderr (`METHOD /path STATUS …ms`, written after the answer). */
async function requestsLogged(
  emulator: EmulatorProcess,
): Promise<{ method: string; path: string; status: string }[]> {
  for (let i = 0; i < 100 && !/\/results\/export \d{3} /.test(emulator.stderr()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20)); // every script exports last
  }
  return emulator
    .stderr()
    .split('\n')
    .flatMap((line) => {
      const match = /^(GET|POST|PUT|PATCH|DELETE) (\S+) (\d{3}) \d+ms$/.exec(line);
      return match
        ? [{ method: match[1] as string, path: match[2] as string, status: match[3] as string }]
        : [];
    });
}

/** The one task the script created ran to `completed`; the script's results were exported once, and nothing failed. */
async function expectCompletedRun(emulator: EmulatorProcess): Promise<void> {
  const requests = await requestsLogged(emulator);
  expect(requests.filter((r) => r.method === 'GET' && r.path.endsWith('/results/export'))).toHaveLength(1);
  expect(new Set(requests.map((r) => r.status))).toEqual(new Set(['200', '201']));
  const tasks = await getData(emulator, '/tasks');
  expect(tasks).toHaveLength(1);
  const executions = await getData(emulator, `/tasks/${tasks[0]?.id}/executions`);
  expect(executions.map((e) => e.status)).toEqual(['completed']);
}

async function expectResultsFile(cwd: string): Promise<void> {
  const records = JSON.parse(await readFile(path.join(cwd, 'results.json'), 'utf8'));
  expect(Array.isArray(records)).toBe(true);
  expect(records.length).toBeGreaterThan(0);
  for (const record of records) expect(Object.keys(record)).toEqual(['title']);
  expect(typeof records[0].title).toBe('string');
}

describe('the Titan docs client scripts, unmodified, against `titan emulator`', () => {
  beforeAll(() => {
    const missing = ['bash', 'curl', 'jq', 'python3'].filter(
      (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
    );
    if (missing.length > 0) throw new Error(`these tests need ${missing.join(', ')} on PATH (install them)`);
  });

  it.concurrent.each(['quickstart-end-to-end.sh', 'task-service-full-flow.sh'])('cURL + jq: %s', (script) =>
    withSetup(async ({ emulator, cwd, env }) => {
      const outcome = await run('bash', [path.join(FIXTURES, script)], cwd, env);
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stdout).toMatch(/^status=completed$/m);
      await expectResultsFile(cwd);
      await expectCompletedRun(emulator);
    }),
  );

  it.concurrent.each(['quickstart-end-to-end.py', 'task-service-full-flow.py'])('Python: %s', (script) =>
    withSetup(async ({ emulator, cwd, env }) => {
      const outcome = await run('python3', ['-c', PYTHON_RUNNER, path.join(FIXTURES, script)], cwd, env);
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stdout).toMatch(/^final status=completed$/m);
      expect(outcome.stdout).toMatch(/\[\{'title': '/);
      await expectResultsFile(cwd);
      await expectCompletedRun(emulator);
    }),
  );

  it.concurrent('TypeScript: quickstart-end-to-end.ts (types stripped by esbuild)', () =>
    withSetup(async ({ emulator, cwd, env }) => {
      const source = await readFile(path.join(FIXTURES, 'quickstart-end-to-end.ts'), 'utf8');
      const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
      await writeFile(path.join(cwd, 'quickstart-end-to-end.mjs'), code);
      const outcome = await run(process.execPath, ['quickstart-end-to-end.mjs'], cwd, env);
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stdout).toMatch(/^\[\s*\{\s*title: '/);
      await expectCompletedRun(emulator);
    }),
  );
});
