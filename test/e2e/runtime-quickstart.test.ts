/**
 * The newcomer path, with zero setup: apply the quickstart example to the embedded emulator, then run its task,
 * wait for it and export the results — exactly the commands the README gives.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { JsonObject } from '../../src/core/json.js';
import { cleanEnv, describeRun, REPO_ROOT, runTitan } from './examples-cli.js';

describe('quickstart with --local', () => {
  it('apply, then run --wait --export leaves real records in results.json', { timeout: 60_000 }, async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'titan-newcomer-'));
    cpSync(path.join(REPO_ROOT, 'examples', 'quickstart'), path.join(root, 'examples', 'quickstart'), {
      recursive: true,
    });
    const { key, properties } = firstTask(path.join(root, 'examples', 'quickstart'));
    const titan = (args: string[]) => runTitan(args, { cwd: root, env: cleanEnv() });

    const applied = await titan(['apply', '--local', 'examples/quickstart', '--auto-approve']);
    expect(applied.code, describeRun(applied)).toBe(0);

    const run = await titan([
      'run',
      '--local',
      '--workspace',
      'examples/quickstart',
      key,
      '--wait',
      '--export',
      'results.json',
    ]);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.stdout).toMatch(/Exported \d+ records?, .* as json to results\.json\./);
    const records = JSON.parse(readFileSync(path.join(root, 'results.json'), 'utf8')) as JsonObject[];
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(Object.keys(record).length).toBeGreaterThan(0);
      if (properties) expect(Object.keys(record)).toEqual(properties);
    }

    // Without --workspace the key is looked up in ./titan.lock, and the error says where to look instead.
    const lost = await titan(['run', '--local', key]);
    expect(lost.code, describeRun(lost)).toBe(3);
    expect(lost.stderr).toContain('there is no lockfile at titan.lock');
    expect(lost.stderr).toContain('--workspace DIR');
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
