/**
 * The examples are real workspaces: each validates, plans changes against an empty emulator, applies, and then
 * plans nothing. Under GitHub Actions titan annotates manifest lines and writes the plan to the job summary; the
 * GitOps workflow's own scripts run here against the built CLI (with --local) and a local git remote.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { useEmulator } from '../helpers/emulator.js';
import {
  commentMarker,
  createFakeGitHub,
  findStep,
  readWorkflow,
  runGitHubScript,
  runStep,
} from '../unit/workflow/workflow.js';
import {
  REPO_ROOT,
  TITAN_BIN,
  cleanEnv,
  copyExample as copyExampleTo,
  describeRun,
  runTitan,
  useTempDirs,
} from './examples-cli.js';

const EXAMPLES: [name: string, tasks: number][] = [
  ['quickstart', 1],
  ['product-monitoring', 4],
  ['modular', 3],
  ['gitops', 1],
];

const tempDir = useTempDirs();
/** A fresh temporary copy of an example (removed after the last test). */
const copyExample = (name: string, target?: string): string =>
  copyExampleTo(name, target ?? tempDir(`titan-${name}-`));

/** Spawning titan several times in a row: generous, for loaded CI machines. */
const SLOW = { timeout: 60_000 };

const apiEnv = (emulator: Emulator, extra: NodeJS.ProcessEnv = {}) =>
  cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token, ...extra });

interface RemoteTask {
  id: string;
  name: string;
  payload?: Record<string, unknown>;
}

async function liveTasks(emulator: Emulator): Promise<RemoteTask[]> {
  const response = await fetch(`${emulator.url}/api/v1/tasks?limit=100`, {
    headers: { Authorization: `Bearer ${emulator.token}` },
  });
  const body = (await response.json()) as { data: RemoteTask[] | { items: RemoteTask[] } };
  return Array.isArray(body.data) ? body.data : body.data.items;
}

describe('every example', () => {
  it.each(EXAMPLES)('%s validates', async (name) => {
    const result = await runTitan(['validate', `examples/${name}`], { cwd: REPO_ROOT });
    expect(result.code, describeRun(result)).toBe(0);
  });

  describe.each(EXAMPLES)('%s against an empty emulator', (name, taskCount) => {
    const emulator = useEmulator({ scheduler: false });

    it('plans changes (exit 2), applies them, then plans none (exit 0)', SLOW, async () => {
      const dir = copyExample(name);
      const env = apiEnv(emulator());
      const first = await runTitan(['plan', '--detailed-exitcode'], { cwd: dir, env });
      expect(first.code, describeRun(first)).toBe(2);
      expect(first.stdout).toContain(`${taskCount} to create`);

      const apply = await runTitan(['apply', '--auto-approve'], { cwd: dir, env });
      expect(apply.code, describeRun(apply)).toBe(0);
      expect(await liveTasks(emulator())).toHaveLength(taskCount);

      const second = await runTitan(['plan', '--detailed-exitcode'], { cwd: dir, env });
      expect(second.code, describeRun(second)).toBe(0);
    });
  });
});

describe('product-monitoring', () => {
  const emulator = useEmulator({ scheduler: false });

  it('refuses to delete the protected task when its manifest is removed', SLOW, async () => {
    const dir = copyExample('product-monitoring');
    const env = apiEnv(emulator());
    expect((await runTitan(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);
    rmSync(path.join(dir, 'tasks/prices.yaml'));
    const plan = await runTitan(['plan'], { cwd: dir, env });
    expect(plan.code, describeRun(plan)).toBe(4);
    expect(plan.stderr).toContain('shop-prices');
    const apply = await runTitan(['apply', '--auto-approve'], { cwd: dir, env });
    expect(apply.code, describeRun(apply)).toBe(4);
    expect((await liveTasks(emulator())).map((task) => task.name)).toContain('Shop prices (hourly)');
  });
});

describe('modular', () => {
  const emulator = useEmulator({ scheduler: false });

  it('sends the API key from the environment but never shows or stores it', SLOW, async () => {
    const secret = 'carrier-key-5b7e0c1d9a';
    const dir = copyExample('modular');
    const env = apiEnv(emulator(), { CARRIER_API_KEY: secret });
    const plan = await runTitan(['plan', '--out', 'titan.plan'], { cwd: dir, env });
    expect(plan.code, describeRun(plan)).toBe(0);
    expect(plan.stdout).toContain('(sensitive)');
    const markdown = await runTitan(['plan', '--format', 'markdown'], { cwd: dir, env });
    expect(markdown.stdout).toContain('(sensitive)');
    expect(markdown.stdout + markdown.stderr).not.toContain(secret);
    const apply = await runTitan(['apply', '--auto-approve'], { cwd: dir, env });
    expect(apply.code, describeRun(apply)).toBe(0);

    const carrier = (await liveTasks(emulator())).find((task) => task.name === 'Carrier shipping quotes');
    expect(carrier?.payload?.api_key).toBe(secret);
    for (const output of [plan, apply]) expect(output.stdout + output.stderr).not.toContain(secret);
    expect(readFileSync(path.join(dir, 'titan.plan'), 'utf8')).not.toContain(secret);
    expect(readFileSync(path.join(dir, 'titan.lock'), 'utf8')).not.toContain(secret);
    // Still converged with the same key; a changed key is an update.
    expect((await runTitan(['plan', '--detailed-exitcode'], { cwd: dir, env })).code).toBe(0);
    const rotated = await runTitan(['plan', '--detailed-exitcode'], {
      cwd: dir,
      env: { ...env, CARRIER_API_KEY: 'carrier-key-rotated' },
    });
    expect(rotated.code, describeRun(rotated)).toBe(2);
    expect(rotated.stdout).not.toContain('carrier-key-rotated');
  });
});

/** Line (1-based) of the first line of `file` that contains `text`. */
function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${text} not in ${file}`);
  return index + 1;
}

describe('under GitHub Actions', () => {
  const emulator = useEmulator({ scheduler: false });

  it('validate annotates each problem on its manifest line', async () => {
    const dir = copyExample('product-monitoring');
    const file = path.join(dir, 'tasks/competitors.yaml');
    const text = readFileSync(file, 'utf8');
    const broken = text
      .replace(/schedule: (['"])45 \*\/6 \* \* \*\1/, "schedule: '45 */6 * *'")
      .replace('[GB]', '[XX]');
    expect(broken).toContain("schedule: '45 */6 * *'");
    writeFileSync(file, broken);
    const result = await runTitan(['validate'], { cwd: dir, env: cleanEnv({ GITHUB_ACTIONS: 'true' }) });
    expect(result.code, describeRun(result)).toBe(3);
    const annotations = (result.stdout + result.stderr)
      .split('\n')
      .filter((line) => line.startsWith('::error '));
    const at = (line: number) =>
      new RegExp(`^::error file=(\\./)?tasks/competitors\\.yaml,line=${line},col=\\d+[^:]*::`);
    expect(
      annotations.some((a) => at(lineOf(file, "schedule: '45 */6 * *'")).test(a)),
      annotations.join('\n'),
    ).toBe(true);
    expect(
      annotations.some((a) => at(lineOf(file, '[XX]')).test(a)),
      annotations.join('\n'),
    ).toBe(true);
  });

  it(
    'plan warns on breaking and destructive changes at their manifest lines and fills the job summary',
    SLOW,
    async () => {
      const dir = copyExample('product-monitoring');
      const env = apiEnv(emulator());
      expect((await runTitan(['apply', '--auto-approve'], { cwd: dir, env })).code).toBe(0);

      // Breaking: a property every price task promised disappears. Destructive: the reviews task is removed.
      const schemaFile = path.join(dir, 'schemas/product.json');
      const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { properties: Record<string, unknown> };
      delete schema.properties.in_stock;
      writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
      rmSync(path.join(dir, 'tasks/reviews.yaml'));

      const summaryFile = path.join(dir, 'summary.md');
      writeFileSync(summaryFile, '## An earlier step\n');
      const result = await runTitan(['plan', '--detailed-exitcode'], {
        cwd: dir,
        env: { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile },
      });
      expect(result.code, describeRun(result)).toBe(2);

      const warnings = (result.stdout + result.stderr)
        .split('\n')
        .filter((line) => line.startsWith('::warning '));
      const prices = path.join(dir, 'tasks/prices.yaml');
      const warnedAt = (file: string, line?: number) =>
        warnings.some((w) =>
          new RegExp(
            `^::warning file=(\\./)?${file.replace(/[./]/g, '\\$&')}${line ? `,line=${line}\\b` : ''}`,
          ).test(w),
        );
      // A breaking change points at the `output_schema:` line that pulls in the shared schema (in each document of
      // competitors.yaml); the removed task's manifest is gone, so its warning names only the file.
      const competitors = path.join(dir, 'tasks/competitors.yaml');
      const schemaLines = readFileSync(competitors, 'utf8')
        .split('\n')
        .flatMap((text, i) => (text.trimStart().startsWith('output_schema:') ? [i + 1] : []));
      expect(schemaLines).toHaveLength(2);
      expect(warnedAt('tasks/prices.yaml', lineOf(prices, 'output_schema:')), warnings.join('\n')).toBe(true);
      for (const line of schemaLines)
        expect(warnedAt('tasks/competitors.yaml', line), warnings.join('\n')).toBe(true);
      expect(warnings.filter((w) => /breaking/i.test(w))).toHaveLength(3);
      expect(warnedAt('tasks/reviews.yaml'), warnings.join('\n')).toBe(true);

      const summary = readFileSync(summaryFile, 'utf8');
      expect(summary.startsWith('## An earlier step\n')).toBe(true);
      const marker = commentMarker(
        findStep(readWorkflow().jobs.plan!, 'Comment the plan on the pull request'),
      );
      expect(summary).toContain(marker);
      expect(summary).toContain('product-reviews');
      expect(summary).toMatch(/breaking/i);
    },
  );

  it('without GITHUB_ACTIONS, titan writes no annotations and no summary', async () => {
    const dir = copyExample('quickstart');
    const summaryFile = path.join(dir, 'summary.md');
    const result = await runTitan(['plan'], {
      cwd: dir,
      env: apiEnv(emulator(), { GITHUB_STEP_SUMMARY: summaryFile }),
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/^::/m);
    expect(() => readFileSync(summaryFile)).toThrow();
  });
});

describe('the GitOps workflow, run step by step against --local and a local git remote', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    }).trim();
  const gitCommit = (cwd: string, message: string) =>
    git(cwd, '-c', 'user.name=dev', '-c', 'user.email=dev@example.com', 'commit', '--quiet', '-m', message);

  it(
    'validates, plans, comments once, applies, commits titan.lock back, and finds no drift',
    SLOW,
    async () => {
      const workflow = readWorkflow();
      const root = tempDir('titan-gitops-');
      const origin = path.join(root, 'origin.git');
      const work = path.join(root, 'work');
      const runnerTemp = path.join(root, 'runner');
      mkdirSync(runnerTemp);
      git(root, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
      copyExample('gitops', work);
      git(work, 'init', '--quiet', '--initial-branch=main');
      git(work, 'add', '.');
      gitCommit(work, 'tasks');
      git(work, 'remote', 'add', 'origin', origin);
      git(work, 'push', '--quiet', 'origin', 'main');

      // `titan` on PATH is the built CLI against the workspace's embedded emulator.
      const bin = path.join(root, 'bin');
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, 'titan'),
        `#!/bin/sh\nexec "${process.execPath}" "${TITAN_BIN}" "$@" --local\n`,
      );
      chmodSync(path.join(bin, 'titan'), 0o755);
      const env = { PATH: `${bin}:${process.env.PATH}`, HOME: root, NO_COLOR: '1', GITHUB_REF_NAME: 'main' };
      const step = (job: string, name: string, extra: NodeJS.ProcessEnv = {}) =>
        runStep(findStep(workflow.jobs[job]!, name), { cwd: work, runnerTemp, env: { ...env, ...extra } });

      const validate = step('validate', 'Validate manifests');
      expect(validate.status, validate.stderr).toBe(0);

      const plan = step('plan', 'Plan');
      expect(plan.status, plan.stderr).toBe(0);
      expect(plan.outputs.exitcode).toBe('2');
      const commentStep = findStep(workflow.jobs.plan!, 'Comment the plan on the pull request');
      const marker = commentMarker(commentStep);
      const planMarkdown = readFileSync(path.join(runnerTemp, 'titan-plan.md'), 'utf8');
      expect(planMarkdown).toContain(marker); // the renderer's own marker, not one the script added
      expect(planMarkdown).toContain('catalog-daily');
      expect(plan.summary).toContain('catalog-daily');

      const fake = createFakeGitHub();
      const comment = (exitCode: string) =>
        runGitHubScript(commentStep, {
          github: fake.github,
          issueNumber: 7,
          env: { RUNNER_TEMP: runnerTemp, PLAN_EXIT_CODE: exitCode },
        });
      await comment(plan.outputs.exitcode ?? '');
      expect(fake.comments).toHaveLength(1);
      expect(fake.comments[0]?.body).toBe(planMarkdown);

      // Meanwhile someone else lands a commit on main: the lock commit must rebase onto it.
      const other = path.join(root, 'other');
      git(root, 'clone', '--quiet', origin, other);
      writeFileSync(path.join(other, 'NOTES.md'), 'unrelated change\n');
      git(other, 'add', 'NOTES.md');
      gitCommit(other, 'notes');
      git(other, 'push', '--quiet', 'origin', 'main');

      const apply = step('apply', 'Apply');
      expect(apply.status, apply.stderr).toBe(0);
      const commit = step('apply', 'Commit titan.lock');
      expect(commit.status, commit.stdout + commit.stderr).toBe(0);
      expect(git(origin, 'log', '-1', '--format=%s', 'main')).toBe('titan: update titan.lock [skip ci]');
      expect(git(origin, 'log', '--format=%s', 'main').split('\n')).toContain('notes');
      expect(JSON.parse(git(origin, 'show', 'main:titan.lock'))).toBeTypeOf('object');

      const again = step('apply', 'Commit titan.lock');
      expect(again.status).toBe(0);
      expect(again.stdout).toContain('titan.lock is unchanged');

      const replan = step('plan', 'Plan');
      expect(replan.outputs.exitcode).toBe('0');
      await comment(replan.outputs.exitcode ?? '');
      expect(fake.comments).toHaveLength(1);
      expect(fake.writes.map((w) => w.method)).toEqual(['create', 'update']);

      const drift = step('drift', 'Detect drift');
      expect(drift.status, drift.stdout + drift.stderr).toBe(0);
      expect(drift.summary).toContain('### titan drift');
    },
  );
});
