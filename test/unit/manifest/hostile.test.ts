/**
 * Hostile input is refused, or answered, in time linear in its size: each case is sized so that it runs in well
 * under a second here, and would take many seconds (beyond its timeout), exhaust memory or crash with a quadratic
 * or unbounded step.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/core/diagnostics.js';
import type { TaskIdentity } from '../../../src/core/manifest/document.js';
import { capPerFile } from '../../../src/core/manifest/load.js';
import { checkIdentities } from '../../../src/core/manifest/workspace.js';
import { loadManifests } from '../../../src/io/manifests.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';
import { renderDiagnostics } from '../../../src/render/diagnostics.js';

const schemas = createManifestSchemas();
/** Long enough for the linear answer on a loaded machine, far too short for the quadratic one. */
const BOUNDED = { timeout: 8_000 };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'titan-hostile-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const load = (paths: string[] = ['.']) =>
  loadManifests(paths, { cwd: dir, env: {}, workspaceRoot: dir, schemas });

const header = 'apiVersion: titan/v1\nkind: Task\nmetadata:\n  name: t\n';
const apiSpec =
  'spec:\n  execution_type: single\n  action_type: api_call\n  input_source: task_url_inventory\n';
const lines = (count: number, line: (i: number) => string): string =>
  Array.from({ length: count }, (_, i) => line(i)).join('');

describe('hostile manifests', () => {
  it('reads a mapping of 45,000 keys (no pairwise duplicate check)', BOUNDED, async () => {
    write('keys.yaml', `${header}${apiSpec}  payload:\n${lines(45_000, (i) => `    k${i}: ${i}\n`)}`);
    const { diagnostics, tasks } = await load();
    expect(diagnostics).toEqual([]);
    expect(Object.keys(tasks[0]?.spec.payload ?? {})).toHaveLength(45_000);
  });

  it('lists 100 of 30,000 duplicate keys, then counts the rest', BOUNDED, async () => {
    write('dups.yaml', `${header}${apiSpec}  payload:\n${lines(30_000, (i) => `    k: ${i}\n`)}`);
    const { diagnostics } = await load();
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics.slice(0, 100).every((d) => d.code === 'TITAN_DUPLICATE_KEY')).toBe(true);
    expect(diagnostics[0]).toMatchObject({
      line: 11,
      message: 'duplicate key "k" (first written at line 10)',
    });
    expect(diagnostics[100]).toMatchObject({
      code: 'TITAN_TOO_MANY_PROBLEMS',
      severity: 'error',
      message: '29899 more problems in this file (titan lists the first 100)',
    });
  });

  it('places 20,000 findings in one mapping without searching it for each', BOUNDED, async () => {
    write('labels.yaml', `${header}  labels:\n${lines(20_000, (i) => `    l${i}: ${i}\n`)}${apiSpec}`);
    const { diagnostics } = await load();
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics[0]).toMatchObject({ code: 'TITAN_SCHEMA_TYPE', line: 6 });
    expect(diagnostics[99]).toMatchObject({ code: 'TITAN_SCHEMA_TYPE', line: 105 });
  });

  it('refuses a 3.8 MB flow list of 1.9 million items before parsing it', BOUNDED, async () => {
    write('flow.yaml', `[${'1,'.repeat(1_900_000)}1]\n`);
    const { diagnostics } = await load();
    expect(diagnostics).toMatchObject([{ code: 'TITAN_YAML_TOO_MANY_VALUES', file: 'flow.yaml', line: 1 }]);
  });

  it('names 3,000 copies of one key in short messages', BOUNDED, async () => {
    const doc = `apiVersion: titan/v1\nkind: Task\nmetadata: { name: same }\n${apiSpec}`;
    write('same.yaml', Array.from({ length: 3_000 }, () => doc).join('---\n'));
    const { diagnostics } = await load();
    expect(diagnostics).toHaveLength(101);
    expect(diagnostics[0]?.message).toBe(
      'task key "same" is defined more than once (also at same.yaml:11, same.yaml:19, same.yaml:27 and 2996 more)',
    );
    expect(Math.max(...diagnostics.map((d) => d.message.length))).toBeLessThan(200);
  });

  it('refuses /dev/zero and a FIFO instead of reading them forever', BOUNDED, async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(path.join(dir, 'tasks'));
    execFileSync('mkfifo', [path.join(dir, 'tasks', 'pipe.yaml')]);
    const { diagnostics } = await load(['/dev/zero', 'pipe.yaml', 'tasks']);
    // The FIFO inside a folder is not a manifest file: skipped like any other special file.
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['TITAN_FILE_UNREADABLE', '/dev/zero'],
      ['TITAN_FILE_UNREADABLE', 'pipe.yaml'],
    ]);
    expect(diagnostics[0]?.message).toContain('not a regular file');
  });
});

describe('hostile volumes of diagnostics', () => {
  const identity = (i: number): TaskIdentity => ({
    key: 'same',
    at: { file: `f${i % 7}.yaml`, line: i + 1, column: 9 },
    previousNames: [{ name: 'old', at: { file: `f${i % 7}.yaml`, line: i + 2, column: 5 }, index: 0 }],
  });

  it('reports 30,000 copies of one key and one previous name in linear time and memory', BOUNDED, () => {
    const found = checkIdentities(Array.from({ length: 30_000 }, (_, i) => identity(i)));
    expect(found).toHaveLength(60_000);
    expect(found[0]?.message).toBe(
      'task key "same" is defined more than once (also at f1.yaml:2, f2.yaml:3, f3.yaml:4 and 29996 more)',
    );
    expect(found.at(-1)?.message).toContain('and 29996 more');
  });

  it('caps 300,000 diagnostics per file without spreading them into a call', BOUNDED, () => {
    const many: Diagnostic[] = Array.from({ length: 300_000 }, (_, i) => ({
      code: 'TITAN_X',
      severity: i === 299_999 ? 'error' : 'warning',
      message: 'x',
      file: i < 150_000 ? 'a.yaml' : 'b.yaml',
      line: i + 1,
      column: 1,
    }));
    const capped = capPerFile(many, 100);
    expect(capped).toHaveLength(202);
    expect(capped[100]).toMatchObject({
      file: 'a.yaml',
      severity: 'warning',
      message: expect.stringMatching(/^149900 more/),
    });
    expect(capped[201]).toMatchObject({ file: 'b.yaml', severity: 'error' });
  });

  it('renders 50,000 excerpts of a 50,000-line file without rescanning it for each', BOUNDED, () => {
    const source = lines(50_000, (i) => `key${i}: value\n`);
    const diagnostics: Diagnostic[] = Array.from({ length: 50_000 }, (_, i) => ({
      code: 'TITAN_X',
      severity: 'error',
      message: 'x',
      file: 'a.yaml',
      line: i + 1,
      column: 1,
    }));
    const text = renderDiagnostics(diagnostics, { color: false, sources: new Map([['a.yaml', source]]) });
    expect(text).toContain('50000 | key49999: value\n');
  });
});
