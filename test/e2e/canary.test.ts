/**
 * Sensitive values never leak: a manifest reads a distinctive canary from the environment into a field the
 * service echoes back in its error (`no template "…"`), and the built CLI runs against an emulator with --debug.
 * The canary must appear in no stdout or stderr and in no file titan writes in the workspace.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { cleanEnv, describeRun, runTitan, type CliResult } from './examples-cli.js';

const CANARY = 'CANARY-4b7d1e9f03a2';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

const manifest = (templateSlug: string): string =>
  [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    '  name: canary',
    'spec:',
    '  execution_type: single',
    '  urls: ["https://shop.example/p/1"]',
    '  objective: Extract the price',
    '  output_schema: { type: object, properties: { price: { type: number } } }',
    `  template_slug: ${templateSlug}`,
    '',
  ].join('\n');

describe('a sensitive value from the environment', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('is in no output and no file when the service echoes it back', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'titan-canary-'));
    writeFileSync(path.join(dir, 'task.yaml'), manifest('${env:CANARY}'));
    const env = cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token, CANARY });
    const results: [string, CliResult][] = [];
    const titan = async (args: string[], expected: number): Promise<CliResult> => {
      const result = await runTitan(['--debug', ...args], { cwd: dir, env });
      expect(result.code, describeRun(result)).toBe(expected);
      results.push([args.join(' '), result]);
      return result;
    };
    await titan(['validate'], 0);
    await titan(['plan', '--out', 'plan.json'], 0);
    await titan(['plan', '--format', 'json'], 0);
    const apply = await titan(['apply', '--auto-approve'], 1);
    expect(apply.stdout + apply.stderr).toMatch(/no template "\(sensitive\)"/);
    for (const [command, result] of results) {
      expect(result.stdout, `stdout of titan ${command}`).not.toContain(CANARY);
      expect(result.stderr, `stderr of titan ${command}`).not.toContain(CANARY);
    }
    for (const file of filesUnder(dir).filter((f) => path.basename(f) !== 'task.yaml')) {
      expect(readFileSync(file, 'latin1'), path.relative(dir, file)).not.toContain(CANARY);
    }
  });
});
