/**
 * The package as a user gets it: `npm pack` on a clean copy of the repository (which must build dist/ itself),
 * the tarball installed into a fresh prefix, and the installed `titan` run from an unrelated folder.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_NAME } from '../../src/app/init.js';
import { REPO_ROOT, describeRun, runCommand, useTempDirs } from './examples-cli.js';

/** The environment without npm's own variables (an `npm test` parent sets prefix, cache and more). */
function npmEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.toLowerCase().startsWith('npm_')) env[name] = value;
  return { ...env, npm_config_cache: cache, npm_config_update_notifier: 'false', NO_COLOR: '1' };
}

/** The repository as a fresh clone has it: tracked and new files only (no dist/, no local state). */
function cleanCopy(target: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0').filter((name) => name !== '')) {
    if (!existsSync(path.join(REPO_ROOT, file))) continue; // deleted but not yet staged
    mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    cpSync(path.join(REPO_ROOT, file), path.join(target, file));
  }
  // The build's tools, as `npm ci` would have installed them.
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(target, 'node_modules'), 'dir');
}

/**
 * Loaded before titan with `--import`: counts the workers that loaded the installed worker script (each says
 * 'ready' first) and the files they checked, so the test knows the threads really ran (a worker that fails to
 * start is silently replaced by the main thread).
 */
const WORKER_PROBE = `
import threads from 'node:worker_threads';
import { syncBuiltinESMExports } from 'node:module';
let ready = 0;
let files = 0;
const Original = threads.Worker;
threads.Worker = class extends Original {
  constructor(...args) {
    super(...args);
    this.on('message', (message) => { if (message === 'ready') ready += 1; else files += 1; });
  }
};
syncBuiltinESMExports();
process.on('exit', () => process.stderr.write('workers ready: ' + ready + ', files: ' + files + '\\n'));
`;

/** A valid manifest of about `bytes` bytes (a wide output schema), so that few files make a large workspace. */
function bulkyManifest(index: number, bytes: number): string {
  const property = (n: number) =>
    `      field_${n}: { type: string, description: "Field ${n} of the product page, as shown" }`;
  const properties = Array.from({ length: Math.ceil(bytes / 90) }, (_, n) => property(n));
  return [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    `  name: bulk-${index}`,
    'spec:',
    `  name: Bulk task ${index}`,
    '  urls:',
    `    - https://example.com/product/${index}`,
    '  objective: Extract the product fields',
    '  output_schema:',
    '    type: object',
    '    properties:',
    ...properties,
    '  execution_type: single',
    '',
  ].join('\n');
}

describe('the npm package', () => {
  const makeTempDir = useTempDirs();

  it(
    'packs from a clean clone with dist/ and no local state, installs, and runs from an unrelated folder',
    { timeout: 180_000 },
    async () => {
      const work = makeTempDir('titan-package-');
      const clone = path.join(work, 'clone');
      const cache = path.join(work, 'npm-cache');
      const env = npmEnv(cache);
      cleanCopy(clone);
      // Local state a packer may have (the demo applies examples in place) must not be shipped.
      mkdirSync(path.join(clone, 'examples/quickstart/.titan/local'), { recursive: true });
      writeFileSync(path.join(clone, 'examples/quickstart/.titan/local/tasks.json'), '{}');
      writeFileSync(path.join(clone, 'examples/quickstart/titan.lock'), '{}');

      const packed = await runCommand('npm', ['pack', '--json', '--pack-destination', work], clone, env);
      expect(packed.code, describeRun(packed)).toBe(0);
      const [tarball] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
        filename: string;
        name: string;
        files: { path: string }[];
      }[];
      if (!tarball) throw new Error(`npm pack printed no tarball:\n${packed.stdout}`);
      expect(tarball.name).toBe(PACKAGE_NAME);
      // The README's install section installs exactly this file.
      const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
      const install = readme.slice(
        readme.indexOf('<!-- install -->'),
        readme.indexOf('## Five-minute tutorial'),
      );
      expect(install).toContain('npm pack\n');
      expect(install).toContain(`npm install --global ./${tarball.filename}\n`);
      const files = tarball.files.map((file) => file.path);
      expect(files).toEqual(
        expect.arrayContaining([
          'LICENSE',
          'README.md',
          'package.json',
          'dist/titan.js',
          'dist/manifest-worker.js',
          'schemas/manifest.schema.json',
          'examples/quickstart/first-task.yaml',
          'examples/gitops/.github/workflows/titan.yml',
          'examples/gitops/gitignore',
        ]),
      );
      expect(files.filter((file) => /(^|\/)(\.titan\/|titan\.lock$)/.test(file))).toEqual([]);
      expect(files.filter((file) => /^(src|test|scripts)\//.test(file))).toEqual([]);

      // dist/ is one self-contained bundle, so the package has no dependencies to fetch: it installs offline.
      const prefix = path.join(work, 'prefix');
      const installed = await runCommand(
        'npm',
        [
          'install',
          '--global',
          '--prefix',
          prefix,
          '--offline',
          '--no-audit',
          '--no-fund',
          path.join(work, tarball.filename),
        ],
        work,
        env,
      );
      expect(installed.code, describeRun(installed)).toBe(0);
      const packageDir = path.join(prefix, 'lib/node_modules', PACKAGE_NAME);
      const bin = path.join(prefix, 'bin/titan');
      expect(existsSync(bin)).toBe(true);
      const license = readFileSync(path.join(packageDir, 'LICENSE'), 'utf8');
      expect(license).toContain('MIT License');

      const userEnv: NodeJS.ProcessEnv = {
        PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`,
        HOME: work,
        NO_COLOR: '1',
      };
      const unrelated = path.join(work, 'somewhere-else');
      mkdirSync(unrelated);
      const titan = (args: string[], cwd = unrelated) => runCommand(bin, args, cwd, userEnv);

      const init = await titan(['init', 'shop']);
      expect(init.code, describeRun(init)).toBe(0);
      const shop = path.join(unrelated, 'shop');
      const schemaLine = readFileSync(path.join(shop, 'tasks/first-task.yaml'), 'utf8').split('\n')[0];
      expect(schemaLine).toBe(
        `# yaml-language-server: $schema=${path.join(packageDir, 'schemas/manifest.schema.json')}`,
      );
      const validate = await titan(['validate', 'shop']);
      expect(validate.code, describeRun(validate)).toBe(0);
      const plan = await titan(['plan', '--local', 'shop', '--detailed-exitcode']);
      expect(plan.code, describeRun(plan)).toBe(2);
      expect(plan.stdout).toContain('my-first-task');
      const apply = await titan(['apply', '--local', '--auto-approve'], shop);
      expect(apply.code, describeRun(apply)).toBe(0);
      expect(existsSync(path.join(shop, 'titan.lock'))).toBe(true);

      // Large enough for worker threads: more than 512 KiB per thread, on at least two threads.
      const large = path.join(unrelated, 'large');
      mkdirSync(path.join(large, 'tasks'), { recursive: true });
      for (let index = 0; index < 48; index++)
        writeFileSync(path.join(large, 'tasks', `bulk-${index}.yaml`), bulkyManifest(index, 32 * 1024));
      const probe = path.join(work, 'worker-probe.mjs');
      writeFileSync(probe, WORKER_PROBE);
      const checked = await runCommand(
        process.execPath,
        ['--import', probe, path.join(packageDir, 'dist/titan.js'), 'validate', '--no-cache', 'large'],
        unrelated,
        userEnv,
      );
      expect(checked.code, describeRun(checked)).toBe(0);
      expect(checked.stdout).toContain('48');
      const [, ready, checkedThere] = /workers ready: (\d+), files: (\d+)/.exec(checked.stderr) ?? [];
      // One core: titan rightly checks everything on the main thread.
      if (availableParallelism() > 1) {
        expect(Number(ready), describeRun(checked)).toBeGreaterThan(0);
        expect(Number(checkedThere), describeRun(checked)).toBeGreaterThan(0);
      }
    },
  );
});
