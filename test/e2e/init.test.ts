/**
 * `titan init` makes a workspace that validates and plans at once, points editors at the manifest schema, and
 * never overwrites a file without --force.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME, schemaRefFor } from '../../src/app/init.js';
import { WORKFLOW_PATH } from '../unit/workflow/workflow.js';
import { REPO_ROOT, cleanEnv, describeRun, runCommand, runTitan, useTempDirs } from './examples-cli.js';

const MANIFEST = 'tasks/first-task.yaml';
const WORKFLOW = '.github/workflows/titan.yml';

/** The file a manifest's `# yaml-language-server: $schema=` line points at, resolved like the language server. */
function schemaTarget(manifestFile: string): string {
  const first = readFileSync(manifestFile, 'utf8').split('\n')[0] ?? '';
  const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
  if (!match?.[1]) throw new Error(`no schema line in ${manifestFile}: ${first}`);
  return path.resolve(path.dirname(manifestFile), match[1]);
}

describe('titan init', () => {
  const makeTempDir = useTempDirs();

  it('creates a workspace that validates, plans and applies with --local', async () => {
    const parent = makeTempDir('titan-init-');
    const result = await runTitan(['init', 'scraping'], { cwd: parent });
    expect(result.code, describeRun(result)).toBe(0);
    const dir = path.join(parent, 'scraping');
    expect(result.stdout).toContain(MANIFEST);
    // The schema is outside the workspace (this checkout): init says how to get a path every clone can use.
    expect(result.stdout).toContain('npm install --save-dev titan-tasks');

    expect(schemaTarget(path.join(dir, MANIFEST))).toBe(path.join(REPO_ROOT, 'schemas/manifest.schema.json'));
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8').split('\n')).toContain('.titan/');
    expect(readFileSync(path.join(dir, WORKFLOW), 'utf8')).toBe(readFileSync(WORKFLOW_PATH, 'utf8'));

    const validate = await runTitan(['validate'], { cwd: dir });
    expect(validate.code, describeRun(validate)).toBe(0);
    const plan = await runTitan(['plan', '--local', '--detailed-exitcode'], { cwd: dir });
    expect(plan.code, describeRun(plan)).toBe(2);
    const apply = await runTitan(['apply', '--local', '--auto-approve'], { cwd: dir });
    expect(apply.code, describeRun(apply)).toBe(0);
    expect(existsSync(path.join(dir, 'titan.lock'))).toBe(true);
  });

  it('refuses to overwrite existing files (exit 4, nothing written) unless --force', async () => {
    const dir = makeTempDir('titan-init-');
    mkdirSync(path.join(dir, 'tasks'));
    writeFileSync(path.join(dir, MANIFEST), '# mine\n');
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/');

    const refused = await runTitan(['init'], { cwd: dir });
    expect(refused.code, describeRun(refused)).toBe(4);
    expect(refused.stderr).toContain(MANIFEST);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(path.join(dir, MANIFEST), 'utf8')).toBe('# mine\n');
    expect(existsSync(path.join(dir, WORKFLOW))).toBe(false);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/');

    const forced = await runTitan(['init', '--force'], { cwd: dir });
    expect(forced.code, describeRun(forced)).toBe(0);
    expect(readFileSync(path.join(dir, MANIFEST), 'utf8')).toContain('kind: Task');
    expect(existsSync(path.join(dir, WORKFLOW))).toBe(true);
    // .gitignore is appended to, never replaced.
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.titan/\n');

    const again = await runTitan(['init', '--force'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n.titan/\n');
  });

  it('points the schema line into node_modules when titan is installed in the workspace', async () => {
    const dir = makeTempDir('titan-init-');
    // What `npm install titan-tasks` leaves: the package's files under node_modules/titan-tasks (dist is self-contained).
    const installed = path.join(dir, 'node_modules/titan-tasks');
    for (const part of ['dist', 'schemas', 'examples', 'package.json']) {
      cpSync(path.join(REPO_ROOT, part), path.join(installed, part), { recursive: true });
    }
    const result = await runCommand(
      process.execPath,
      [path.join(installed, 'dist/titan.js'), 'init'],
      dir,
      cleanEnv(),
    );
    expect(result.code, describeRun(result)).toBe(0);
    const first = readFileSync(path.join(dir, MANIFEST), 'utf8').split('\n')[0];
    expect(first).toBe(
      '# yaml-language-server: $schema=../node_modules/titan-tasks/schemas/manifest.schema.json',
    );
    expect(result.stdout).not.toContain('npm install');
    const validate = await runTitan(['validate'], { cwd: dir });
    expect(validate.code, describeRun(validate)).toBe(0);
  });
});

describe('the package name', () => {
  it('is the one package.json publishes, which the README installs', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string };
    expect(pkg.name).toBe(PACKAGE_NAME);
    expect(readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(
      `node_modules/${PACKAGE_NAME}/schemas/`,
    );
  });
});

describe('the schema line titan init writes', () => {
  const manifest = '/home/ana/shop/tasks/first-task.yaml';

  it('is relative when the schema lives inside the workspace (its node_modules)', () => {
    expect(
      schemaRefFor(
        manifest,
        '/home/ana/shop/node_modules/titan-tasks/schemas/manifest.schema.json',
        '/home/ana/shop',
      ),
    ).toBe('../node_modules/titan-tasks/schemas/manifest.schema.json');
  });

  it('is absolute when the schema lives outside the workspace, even in a sibling folder', () => {
    const elsewhere = '/home/ana/titan/schemas/manifest.schema.json';
    expect(schemaRefFor(manifest, elsewhere, '/home/ana/shop')).toBe(elsewhere);
    const global = '/usr/lib/node_modules/titan-tasks/schemas/manifest.schema.json';
    expect(schemaRefFor(manifest, global, '/home/ana/shop')).toBe(global);
  });
});
