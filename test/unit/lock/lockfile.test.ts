import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, RefusedError } from '../../../src/core/errors.js';
import type { Lockfile } from '../../../src/core/lock/model.js';
import {
  commitLock,
  emptyLock,
  moveEntry,
  removeEntry,
  renderLockfile,
  setEntry,
} from '../../../src/core/lock/ops.js';
import { lockfileProblems } from '../../../src/core/lock/invariants.js';
import {
  assertLockOrigin,
  parseLockfileForRepair,
  readLockfile,
  writeLockfile,
} from '../../../src/io/lockfile.js';

const LINEAGE = '5f0c6f5e-3a4b-4c1d-9e8f-0123456789ab';
const entry = (id: string) => ({
  id,
  digest: `sha256:${'a'.repeat(64)}`,
  updated_at: '2025-01-01T00:00:00.000Z',
  file: 'tasks/a.yaml',
  protect: false,
});
const sample = (): Lockfile =>
  setEntry(
    setEntry(emptyLock('https://api.example.com', LINEAGE), 'zeta', entry('t2')),
    'alpha',
    entry('t1'),
  );

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'titan-lock-'));
}

describe('lockfile', () => {
  it('is absent → null', async () => {
    expect(await readLockfile(path.join(await tempDir(), 'titan.lock'))).toBeNull();
  });

  it('round-trips with sorted keys, 2-space indent and a trailing newline, leaving no temp file', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'titan.lock');
    await writeLockfile(file, sample());
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text).toContain('\n  "lineage": ');
    expect(await readLockfile(file)).toEqual(sample());
    expect(await readdir(dir)).toEqual(['titan.lock']);
  });

  it('refuses unparseable JSON with the file name and what to do', async () => {
    const file = path.join(await tempDir(), 'titan.lock');
    await writeFile(file, '{"version": 1, ');
    const error = await readLockfile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).message).toContain(file);
    expect((error as InvalidInputError).hint).toContain('git checkout -- titan.lock');
  });

  it('refuses a lockfile that breaks the schema, naming the property', async () => {
    const file = path.join(await tempDir(), 'titan.lock');
    const bad = { ...sample(), tasks: { alpha: { ...entry('t1'), secret: 'x' } } };
    await writeFile(file, JSON.stringify(bad));
    await expect(readLockfile(file)).rejects.toThrow(/unknown property "secret"/);
  });

  it('refuses two keys on one task id (a bad merge), naming both entries, exit 3', async () => {
    const file = path.join(await tempDir(), 'titan.lock');
    const merged = setEntry(setEntry(sample(), 'beta', entry('t1')), 'gamma', entry('t3'));
    await writeFile(file, renderLockfile(merged));
    const error = await readLockfile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).exitCode).toBe(3);
    expect((error as InvalidInputError).message).toContain('task t1 is recorded under 2 keys: alpha, beta');
    expect((error as InvalidInputError).hint).toContain('titan state rm');
  });

  it('refuses entries whose updated_at is not a timestamp, and keys that are not manifest keys, naming them', async () => {
    const file = path.join(await tempDir(), 'titan.lock');
    const bad = setEntry(sample(), 'beta', { ...entry('t3'), updated_at: 'yesterday' });
    await writeFile(file, renderLockfile(bad));
    await expect(readLockfile(file)).rejects.toThrow(
      /beta: updated_at "yesterday" is not an ISO-8601 timestamp/,
    );
    const badKey = setEntry(sample(), 'Not A Key', entry('t4'));
    await writeFile(file, renderLockfile(badKey));
    await expect(readLockfile(file)).rejects.toThrow(/"Not A Key" is not a valid key/);
  });

  it('reads a lockfile that breaks the invariants for repair (titan state), with the problems beside it', async () => {
    const merged = setEntry(sample(), 'beta', entry('t1'));
    const read = parseLockfileForRepair(renderLockfile(merged), 'titan.lock');
    expect(read.lock.tasks.beta?.id).toBe('t1');
    expect(read.problems).toEqual(['task t1 is recorded under 2 keys: alpha, beta']);
    expect(lockfileProblems(sample())).toEqual([]);
  });

  it('refuses a lockfile from a newer titan', async () => {
    const file = path.join(await tempDir(), 'titan.lock');
    await writeFile(file, JSON.stringify({ ...sample(), version: 2 }));
    await expect(readLockfile(file)).rejects.toThrow(/format version 2/);
  });
});

describe('assertLockOrigin', () => {
  it('accepts the same origin regardless of case and trailing slash, and no lock at all', () => {
    expect(() => assertLockOrigin(sample(), 'HTTPS://api.example.com/', false)).not.toThrow();
    expect(() => assertLockOrigin(null, 'https://other.example', false)).not.toThrow();
  });

  it('refuses another origin with exit 4, naming both, unless allowed', () => {
    const error = (() => {
      try {
        assertLockOrigin(sample(), 'https://other.example', false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).exitCode).toBe(4);
    expect((error as RefusedError).message).toContain('https://api.example.com');
    expect((error as RefusedError).message).toContain('https://other.example');
    expect(() => assertLockOrigin(sample(), 'https://other.example', true)).not.toThrow();
  });
});

describe('lock arithmetic', () => {
  it('keeps the serial when nothing changed, bumps it once when something did', () => {
    const base = { ...sample(), serial: 7 };
    expect(commitLock(base, { ...base, tasks: { ...base.tasks } })).toBe(base);
    const moved = commitLock(base, moveEntry(base, 'alpha', 'beta'));
    expect(moved.serial).toBe(8);
    expect(Object.keys(moved.tasks).sort()).toEqual(['beta', 'zeta']);
    expect(commitLock(base, removeEntry(base, 'zeta')).tasks).toEqual({ alpha: entry('t1') });
  });

  it('renders the same lock to the same bytes whatever the insertion order', () => {
    const other = setEntry(
      setEntry(emptyLock('https://api.example.com', LINEAGE), 'alpha', entry('t1')),
      'zeta',
      entry('t2'),
    );
    expect(renderLockfile(other)).toBe(renderLockfile(sample()));
  });
});
