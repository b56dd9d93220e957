/**
 * The merge driver in a real git repository: two branches that each applied a different task of one workspace
 * merge without a conflict (the serial line conflicts without the driver), and the next plan is empty; the same
 * task changed on both sides is a real conflict git shows, and titan then says what to do.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TITAN_BIN, cleanEnv, describeRun, runCommand, runTitan, useTempDirs } from './examples-cli.js';

const task = (key: string, objective: string): string =>
  [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    `  name: ${key}`,
    'spec:',
    '  urls: [https://example.com/p/1]',
    `  objective: ${objective}`,
    '  output_schema: { type: object, properties: { price: { type: string } } }',
    '  execution_type: single',
    '',
  ].join('\n');

describe('titan state merge as the git merge driver', () => {
  const makeTempDir = useTempDirs();

  async function git(cwd: string, ...args: string[]) {
    const result = await runCommand('git', args, cwd, cleanEnv({ GIT_CONFIG_NOSYSTEM: '1' }));
    return result;
  }

  /** A repository whose workspace teams/news has two applied tasks, on main, with the driver configured. */
  async function repository(withDriver: boolean): Promise<{ root: string; ws: string }> {
    const root = makeTempDir('titan-merge-');
    const ws = path.join(root, 'teams/news');
    await git(root, 'init', '--quiet', '-b', 'main');
    await git(root, 'config', 'user.email', 'dev@example.com');
    await git(root, 'config', 'user.name', 'dev');
    if (withDriver) {
      await git(
        root,
        'config',
        'merge.titan.driver',
        `"${process.execPath}" "${TITAN_BIN}" state merge %O %A %B %P`,
      );
      writeFileSync(path.join(root, '.gitattributes'), 'titan.lock merge=titan\n');
    }
    writeFileSync(path.join(root, '.gitignore'), '.titan/\n');
    await runCommand('mkdir', ['-p', path.join(ws, 'tasks')], root, cleanEnv());
    writeFileSync(path.join(ws, 'tasks/a.yaml'), task('alpha', 'Extract the price'));
    writeFileSync(path.join(ws, 'tasks/b.yaml'), task('beta', 'Extract the price'));
    await apply(ws);
    await commitAll(root, 'two tasks');
    return { root, ws };
  }

  async function apply(ws: string, target: string[] = []): Promise<void> {
    const result = await runTitan(['apply', '--local', '--auto-approve', ...target], { cwd: ws });
    expect(result.code, describeRun(result)).toBe(0);
  }

  async function commitAll(root: string, message: string): Promise<void> {
    await git(root, 'add', '-A');
    const result = await git(root, 'commit', '--quiet', '-m', message);
    expect(result.code, describeRun(result)).toBe(0);
  }

  /** Branch `one` changes `first`, branch `two` changes `second`; each applies and commits its lockfile. */
  async function twoBranches(root: string, ws: string, first: string, second: string): Promise<void> {
    for (const [branch, file, objective] of [
      ['one', first, 'Extract the price in euros'],
      ['two', second, 'Extract the price in dollars'],
    ] as const) {
      await git(root, 'checkout', '--quiet', '-b', branch, 'main');
      if (branch === 'one') {
        // Two applies on one side: the serials differ, so git alone conflicts on the serial line.
        writeFileSync(
          path.join(ws, 'tasks', `${first === 'alpha' ? 'a' : 'b'}.yaml`),
          task(first, 'A draft'),
        );
        await apply(ws, ['--target', first]);
      }
      writeFileSync(path.join(ws, 'tasks', `${file === 'alpha' ? 'a' : 'b'}.yaml`), task(file, objective));
      // Both branches apply to one service: each applies only its own change, as CI would after its merge.
      await apply(ws, ['--target', file]);
      await commitAll(root, `${branch}: ${file}`);
    }
    await git(root, 'checkout', '--quiet', 'one');
  }

  it('merges two branches that changed different tasks: no conflict, and the next plan is empty', async () => {
    const { root, ws } = await repository(true);
    await twoBranches(root, ws, 'alpha', 'beta');
    const merge = await git(root, 'merge', '--no-edit', 'two');
    expect(merge.code, describeRun(merge)).toBe(0);
    expect(merge.stderr + merge.stdout).toContain('merged teams/news/titan.lock entry by entry');
    const plan = await runTitan(['plan', '--local', '--detailed-exitcode'], { cwd: ws });
    expect(plan.code, describeRun(plan)).toBe(0);
  });

  it('without the driver the serial line conflicts, and titan says how to merge it', async () => {
    const { root, ws } = await repository(false);
    await twoBranches(root, ws, 'alpha', 'beta');
    const merge = await git(root, 'merge', '--no-edit', 'two');
    expect(merge.code).not.toBe(0);
    const plan = await runTitan(['plan', '--local'], { cwd: ws });
    expect(plan.code, describeRun(plan)).toBe(3);
    expect(plan.stderr).toContain('conflict markers');
    expect(plan.stderr).not.toContain('not valid JSON');
    expect(plan.stderr).toContain('titan state merge');

    // Run by hand, the driver's merge resolves it from git's index.
    const fixed = await runTitan(['state', 'merge', 'titan.lock'], { cwd: ws });
    expect(fixed.code, describeRun(fixed)).toBe(0);
    expect(fixed.stdout).toContain('git add titan.lock');
    const after = await runTitan(['plan', '--local', '--detailed-exitcode'], { cwd: ws });
    expect(after.code, describeRun(after)).toBe(0);
  });

  it('reports the same task changed on both sides as a conflict git shows', async () => {
    const { root, ws } = await repository(true);
    await twoBranches(root, ws, 'alpha', 'alpha');
    const merge = await git(root, 'merge', '--no-edit', 'two');
    expect(merge.code).not.toBe(0);
    expect(merge.stderr + merge.stdout).toMatch(/alpha changed on both sides: task \S+ from tasks\/a\.yaml/);
    const status = await git(root, 'status', '--porcelain');
    expect(status.stdout).toContain('UU teams/news/titan.lock');
    await git(root, 'checkout', '--theirs', 'teams/news/tasks/a.yaml');
    const plan = await runTitan(['plan', '--local'], { cwd: ws });
    expect(plan.code).toBe(3);
    expect(plan.stderr).toContain('titan state merge could not resolve');
  });
});
