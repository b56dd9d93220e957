/**
 * The token never leaks: the main flow through the built CLI with `--debug` (apply, plan --out, apply of the saved
 * plan, run --export, drift, and a rejected token) against a `titan emulator` process. The distinctive token must
 * appear in no stdout or stderr and in no file of the workspace (titan.lock, .titan/**, the saved plan, the export).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, startEmulatorProcess, type EmulatorProcess } from '../helpers/emulator-process.js';
import { cleanEnv, copyExample, describeRun, runTitan, type CliResult } from './examples-cli.js';

const TOKEN = 'tok-NEVERLEAK-5f0c7a9e2b4d4c1e8a63-end';
const WRONG_TOKEN = 'tok-WRONGLEAK-91d2e0b7c3a54f68-end';
/** Distinctive middles: a token cut or wrapped in output would still show one of these. */
const MARKERS = [TOKEN, WRONG_TOKEN, 'NEVERLEAK-5f0c7a9e', 'WRONGLEAK-91d2e0b7'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

function expectNoToken(where: string, text: string): void {
  for (const marker of MARKERS) expect(text.includes(marker), `${where} contains ${marker}`).toBe(false);
}

describe('the token never leaks', () => {
  let emulator: EmulatorProcess;
  beforeAll(async () => {
    emulator = await startEmulatorProcess([
      '--token',
      TOKEN,
      '--quiet',
      '--no-scheduler',
      '--queue-delay',
      '20',
      '--url-duration',
      '20',
    ]);
  });
  afterAll(async () => {
    expect(await emulator.stop()).toBe(0);
  });

  it(
    'in no output and no workspace file of a --debug apply, plan --out, run --export and drift',
    { timeout: 90_000 },
    async () => {
      const dir = copyExample('quickstart');
      const env = cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: TOKEN, TITAN_POLL_INTERVAL_MS: '40' });
      const results: [string, CliResult][] = [];
      const titan = async (args: string[], expected: number, environment = env): Promise<CliResult> => {
        const result = await runTitan(['--debug', ...args], { cwd: dir, env: environment });
        expect(result.code, describeRun(result)).toBe(expected);
        results.push([args.join(' '), result]);
        return result;
      };

      await titan(['apply', '--auto-approve'], 0);
      const manifest = path.join(dir, 'first-task.yaml');
      writeFileSync(
        manifest,
        readFileSync(manifest, 'utf8').replace('Extract the product name', 'Extract the name'),
      );
      await titan(['plan', '--out', 'plan.json'], 0);
      await titan(['apply', 'plan.json', '--auto-approve'], 0);
      const run = await titan(['run', 'my-first-task', '--export', 'results.json'], 0);
      expect(run.stdout).toMatch(/Exported \d+ records?/);
      await titan(['drift'], 0);
      const lock = JSON.parse(readFileSync(path.join(dir, 'titan.lock'), 'utf8')) as {
        tasks: Record<string, { id: string }>;
      };
      const id = lock.tasks['my-first-task']?.id as string;
      const edited = await fetch(`${emulator.url}/api/v1/tasks/${id}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ objective: 'Changed by hand' }),
      });
      expect(edited.status).toBe(200);
      await titan(['drift'], 2);
      const rejected = await titan(['plan'], 1, { ...env, TITAN_TOKEN: WRONG_TOKEN });
      expect(rejected.stderr).toMatch(/rejected the token/);

      for (const [command, result] of results) {
        expect(result.stderr, `--debug traced no request for ${command}`).toMatch(
          /(GET|POST|PATCH|PUT) \/api\/v1\/\S+ \d{3} \d+ms/,
        );
        expectNoToken(`stdout of titan ${command}`, result.stdout);
        expectNoToken(`stderr of titan ${command}`, result.stderr);
      }
      const files = filesUnder(dir);
      for (const expected of ['titan.lock', 'plan.json', 'results.json']) {
        expect(files).toContain(path.join(dir, expected));
      }
      for (const file of files) expectNoToken(path.relative(dir, file), readFileSync(file, 'latin1'));
    },
  );

  it(
    'in no file of .titan/ that an apply killed mid-way leaves behind (journal, workspace lock)',
    { timeout: 60_000 },
    async () => {
      const slow = await startEmulatorProcess([
        '--token',
        TOKEN,
        '--quiet',
        '--no-scheduler',
        '--latency',
        '300',
      ]);
      try {
        const dir = copyExample('quickstart');
        const env = cleanEnv({ TITAN_API_URL: slow.url, TITAN_TOKEN: TOKEN });
        const apply = spawnCli(['--debug', 'apply', '--auto-approve'], env, dir);
        const journal = path.join(dir, '.titan', 'journal.ndjson');
        for (let i = 0; i < 300 && !existsSync(journal); i++) await new Promise((r) => setTimeout(r, 10));
        apply.child.kill('SIGKILL');
        await apply.exit;
        const files = filesUnder(path.join(dir, '.titan'));
        expect(files).toContain(journal);
        for (const file of files) expectNoToken(path.relative(dir, file), readFileSync(file, 'latin1'));
        expectNoToken('stdout of the killed apply', apply.stdout());
        expectNoToken('stderr of the killed apply', apply.stderr());
      } finally {
        expect(await slow.stop()).toBe(0);
      }
    },
  );
});
