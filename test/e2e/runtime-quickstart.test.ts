/**
 * The newcomer path, with zero setup, exactly as the README gives it: from the checkout's root,
 * `titan apply --local examples/quickstart --auto-approve`, then `titan run --local my-first-task --wait --export
 * results.json` — the key is found in the one workspace below that manages it, and the embedded emulator uses
 * that workspace's data.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../src/core/json.js';
import { cleanEnv, describeRun, REPO_ROOT, runTitan, useTempDirs } from './examples-cli.js';

const SLOW = { timeout: 60_000 };

describe('quickstart with --local', () => {
  const tempDir = useTempDirs();

  /** A folder laid out like the checkout: `examples/quickstart` (and more workspaces when asked). */
  function checkoutLike(...copies: string[]): {
    root: string;
    titan: (args: string[]) => ReturnType<typeof runTitan>;
  } {
    const root = tempDir('titan-newcomer-');
    for (const target of ['examples/quickstart', ...copies]) {
      cpSync(path.join(REPO_ROOT, 'examples', 'quickstart'), path.join(root, target), {
        recursive: true,
        filter: (source) => !['titan.lock', '.titan'].includes(path.basename(source)),
      });
    }
    return { root, titan: (args) => runTitan(args, { cwd: root, env: cleanEnv() }) };
  }

  it(
    'apply, then run --wait --export from the same folder leaves real records in results.json',
    SLOW,
    async () => {
      const { root, titan } = checkoutLike();
      const { key, properties } = firstTask(path.join(root, 'examples', 'quickstart'));
      expect(key).toBe('my-first-task');

      const applied = await titan(['apply', '--local', 'examples/quickstart', '--auto-approve']);
      expect(applied.code, describeRun(applied)).toBe(0);

      const run = await titan(['run', '--local', 'my-first-task', '--wait', '--export', 'results.json']);
      expect(run.code, describeRun(run)).toBe(0);
      expect(run.stderr).toContain(
        'Using workspace examples/quickstart (its titan.lock manages "my-first-task").',
      );
      expect(run.stdout).toMatch(/Exported \d+ records?, .* as json to results\.json\./);
      const records = JSON.parse(readFileSync(path.join(root, 'results.json'), 'utf8')) as JsonObject[];
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        expect(Object.keys(record).length).toBeGreaterThan(0);
        if (properties) expect(Object.keys(record)).toEqual(properties);
      }
      // The embedded emulator kept its data in the workspace that holds the key, not in the working directory.
      expect(existsSync(path.join(root, 'examples', 'quickstart', '.titan', 'local'))).toBe(true);
      expect(existsSync(path.join(root, '.titan'))).toBe(false);

      // The follow-up commands titan suggests name that workspace, so they reach the same data.
      const started = await titan(['run', '--local', 'my-first-task']);
      expect(started.code, describeRun(started)).toBe(0);
      const follow = /Follow it with: (titan .*)$/m.exec(started.stdout)?.[1] ?? '';
      expect(follow).toMatch(/^titan executions watch \S+ --local --workspace examples\/quickstart$/);
      const watched = await titan(follow.split(' ').slice(1));
      expect(watched.code, describeRun(watched)).toBe(0);
    },
  );

  it('asks for --workspace when several workspaces below manage the key', SLOW, async () => {
    const { titan } = checkoutLike('examples/quickstart-copy');
    for (const workspace of ['examples/quickstart', 'examples/quickstart-copy']) {
      const applied = await titan(['apply', '--local', workspace, '--auto-approve']);
      expect(applied.code, describeRun(applied)).toBe(0);
    }
    const ambiguous = await titan(['run', '--local', 'my-first-task']);
    expect(ambiguous.code, describeRun(ambiguous)).toBe(3);
    expect(ambiguous.stderr).toContain(
      'The key "my-first-task" is managed by 2 workspaces below the working directory: ' +
        'examples/quickstart, examples/quickstart-copy.',
    );
    expect(ambiguous.stderr).toContain('--workspace DIR');

    const chosen = await titan([
      'run',
      '--local',
      '--workspace',
      'examples/quickstart-copy',
      'my-first-task',
    ]);
    expect(chosen.code, describeRun(chosen)).toBe(0);
    expect(chosen.stderr).not.toContain('Using workspace');

    // An unknown key is still reported against ./titan.lock, with where else titan looked.
    const unknown = await titan(['run', '--local', 'no-such-task']);
    expect(unknown.code, describeRun(unknown)).toBe(3);
    expect(unknown.stderr).toContain('there is no lockfile at titan.lock');
    expect(unknown.stderr).toContain('in the workspaces up to 3 folders below');
  });
});

/** The first task manifest of a workspace folder: its key and (inline) output_schema property names. */
function firstTask(dir: string): { key: string; properties: string[] | undefined } {
  for (const name of readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(path.join(dir, name), 'utf8'))) {
      const manifest = document.toJS() as {
        kind?: string;
        metadata?: { name?: string };
        spec?: { output_schema?: { properties?: Record<string, unknown> } };
      } | null;
      if (manifest?.kind !== 'Task' || !manifest.metadata?.name) continue;
      const properties = manifest.spec?.output_schema?.properties;
      return { key: manifest.metadata.name, properties: properties ? Object.keys(properties) : undefined };
    }
  }
  throw new Error(`no Task manifest in ${dir}`);
}
