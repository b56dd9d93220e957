/**
 * `npm run bench` on a handful of tasks (`--smoke`): the harness runs the built CLI against its own emulators,
 * counts every request exactly, and titan keeps its request economy (one list page, one read per changed task
 * with summary items, one POST per create). Timings are recorded by the harness, never asserted here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Row {
  name: string;
  tasks: number;
  changes: number;
  changed: string;
  exit: number | string;
  ok: boolean;
  requests: number;
  fullReads: number;
  byRoute: Record<string, number>;
  liveTasks: number[];
}

interface BenchFile {
  results: { validate: Row[]; plan: Row[]; apply: Row[] };
  targets: { name: string; pass: string }[];
}

describe('npm run bench --smoke', () => {
  let dir: string;
  let bench: BenchFile;
  let stdout = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'titan-bench-smoke-'));
    const out = path.join(dir, 'bench.json');
    const args = ['scripts/bench.mjs', '--smoke', '--only', 'validate,plan,apply'];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [...args, '--out', out, '--cache', path.join(dir, 'cache')], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let errors = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.once('error', reject);
      child.once('close', (exitCode) => resolve({ code: exitCode, stderr: errors }));
    });
    expect(code, `bench --smoke exited with ${code}:\n${stderr}`).toBe(0);
    bench = JSON.parse(readFileSync(out, 'utf8')) as BenchFile;
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints a table of every target and names the JSON file', () => {
    expect(stdout).toContain('Targets');
    expect(stdout).toContain('Results written to');
    expect(bench.targets.length).toBeGreaterThan(0);
  });

  it('validates the generated workspace and plans it with the expected exit codes', () => {
    expect(bench.results.validate.map((row) => [row.tasks, row.exit])).toEqual([[20, 0]]);
    const plans = bench.results.plan;
    expect(plans.map((row) => [row.changed, row.exit])).toEqual([
      ['none', 0],
      ['10%', 2],
    ]);
  });

  it('counts one list request for an unchanged plan and one read per changed task with summary items', () => {
    const [unchanged, changed] = bench.results.plan;
    expect(unchanged?.byRoute).toEqual({ 'GET /api/v1/tasks': 1 });
    expect(changed?.changes).toBe(2);
    expect(changed?.byRoute).toEqual({ 'GET /api/v1/tasks': 1, 'GET /api/v1/tasks/:id': 2 });
  });

  it('counts one POST per create and finds every created task on the service', () => {
    const [apply] = bench.results.apply;
    expect(apply?.byRoute['POST /api/v1/tasks']).toBe(10);
    expect(apply?.liveTasks).toEqual([10]);
    expect(apply?.ok).toBe(true);
  });
});
