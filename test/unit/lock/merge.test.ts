import { describe, expect, it } from 'vitest';
import { InvalidInputError, RefusedError } from '../../../src/core/errors.js';
import { hasConflictMarkers, mergeLocks, renderWithMarkers } from '../../../src/core/lock/merge.js';
import type { LockEntry, Lockfile } from '../../../src/core/lock/model.js';
import { emptyLock, removeEntry, renderLockfile, setEntry } from '../../../src/core/lock/ops.js';
import { stateMerge } from '../../../src/app/state-merge.js';
import { parseLockfile } from '../../../src/io/lockfile.js';

const LINEAGE = '5f0c6f5e-3a4b-4c1d-9e8f-0123456789ab';
const entry = (id: string, digit = 'a', file = 'tasks/a.yaml'): LockEntry => ({
  id,
  digest: `sha256:${digit.repeat(64)}`,
  updated_at: '2025-01-01T00:00:00.000Z',
  file,
  protect: false,
});
const lockOf = (serial: number, tasks: Record<string, LockEntry>, lineage = LINEAGE): Lockfile => ({
  ...emptyLock('https://api.example.com', lineage),
  serial,
  tasks,
});

const base = lockOf(4, { alpha: entry('t1'), beta: entry('t2'), gamma: entry('t3') });

describe('mergeLocks', () => {
  it('takes each side’s changes to different keys, and a serial above both', () => {
    const ours = lockOf(5, { ...base.tasks, alpha: entry('t1', 'b') });
    const theirs = lockOf(6, { ...removeEntry(base, 'gamma').tasks, delta: entry('t4') });
    const merged = mergeLocks(base, ours, theirs);
    expect(merged).toEqual({
      ok: true,
      lock: lockOf(7, { alpha: entry('t1', 'b'), beta: entry('t2'), delta: entry('t4') }),
    });
  });

  it('agrees when both sides made the same change', () => {
    const same = lockOf(5, { ...base.tasks, beta: entry('t2', 'c') });
    const merged = mergeLocks(base, same, { ...same, serial: 5 });
    expect(merged.ok && merged.lock.tasks).toEqual(same.tasks);
    expect(merged.ok && merged.lock.serial).toBe(6);
  });

  it('merges two lockfiles created on both sides without a base when their entries do not clash', () => {
    const ours = lockOf(1, { alpha: entry('t1') });
    const theirs = lockOf(2, { beta: entry('t2') });
    const merged = mergeLocks(null, ours, theirs);
    expect(merged.ok && Object.keys(merged.lock.tasks)).toEqual(['alpha', 'beta']);
  });

  it('reports a key changed differently on both sides, with markers around that entry only', () => {
    const ours = lockOf(5, { ...base.tasks, alpha: entry('t1', 'b'), beta: entry('t2', 'd') });
    const theirs = lockOf(5, { ...base.tasks, alpha: entry('t9', 'c') });
    const merged = mergeLocks(base, ours, theirs);
    if (merged.ok) throw new Error('expected a conflict');
    expect(merged.conflicts).toEqual([
      { kind: 'entry', key: 'alpha', base: entry('t1'), ours: entry('t1', 'b'), theirs: entry('t9', 'c') },
    ]);
    // Blocks only inside alpha's entry (its id and digest lines); beta's change is merged in; one serial.
    expect(merged.text.match(/^<<<<<<< /gm)).toHaveLength(2);
    expect(merged.text.match(/^"serial": 6,$/gm)).toBeNull();
    expect(merged.text).toMatch(/^ {2}"serial": 6,$/m);
    expect(merged.text).toContain('"id": "t9"');
    expect(merged.text).toContain(`"digest": "sha256:${'d'.repeat(64)}"`);
    const alpha = merged.text.slice(merged.text.indexOf('"alpha"'), merged.text.indexOf('"beta"'));
    expect(alpha).toContain('"id": "t1"');
    expect(alpha.match(/^>>>>>>> /gm)).toHaveLength(2);
  });

  it('reports a change on one side against a removal on the other', () => {
    const ours = lockOf(5, removeEntry(base, 'beta').tasks);
    const theirs = lockOf(5, { ...base.tasks, beta: entry('t2', 'e') });
    const merged = mergeLocks(base, ours, theirs);
    expect(!merged.ok && merged.conflicts).toEqual([
      { kind: 'entry', key: 'beta', base: entry('t2'), theirs: entry('t2', 'e') },
    ]);
  });

  it('refuses to record one task under two keys (each side renamed it differently)', () => {
    const ours = lockOf(5, { ...removeEntry(base, 'alpha').tasks, first: entry('t1') });
    const theirs = lockOf(5, { ...removeEntry(base, 'alpha').tasks, one: entry('t1') });
    const merged = mergeLocks(base, ours, theirs);
    expect(!merged.ok && merged.conflicts).toEqual([
      { kind: 'duplicate-id', id: 't1', keys: ['first', 'one'] },
    ]);
  });

  it('refuses two lineages and an origin changed on both sides', () => {
    const other = lockOf(5, base.tasks, '00000000-0000-4000-8000-000000000000');
    expect(mergeLocks(base, base, other)).toMatchObject({ ok: false, conflicts: [{ kind: 'lineage' }] });
    const ours = { ...base, serial: 5, origin: 'https://a.example' };
    const theirs = { ...base, serial: 5, origin: 'https://b.example' };
    expect(mergeLocks(base, ours, theirs)).toMatchObject({ ok: false, conflicts: [{ kind: 'origin' }] });
    // One side moving the origin is an ordinary change.
    const moved = mergeLocks(base, ours, { ...base, serial: 5, tasks: { ...base.tasks, zeta: entry('t8') } });
    expect(moved.ok && moved.lock.origin).toBe('https://a.example');
  });
});

describe('renderWithMarkers', () => {
  it('marks only the differing runs', () => {
    const text = renderWithMarkers('a\nb\nc\n', 'a\nB\nc\nd\n', { ours: 'o', theirs: 't' });
    expect(text).toBe('a\n<<<<<<< o\nb\n=======\nB\n>>>>>>> t\nc\n<<<<<<< o\n=======\nd\n>>>>>>> t\n');
    expect(hasConflictMarkers(text)).toBe(true);
    expect(hasConflictMarkers('{"a": "<<<<<<< not at a line start"}')).toBe(false);
  });
});

describe('the lockfile reader on conflict markers', () => {
  it('says to run titan state merge (and how to configure the driver) for a text merge by git', () => {
    const text = renderWithMarkers(
      renderLockfile(setEntry(base, 'alpha', entry('t1', 'b'))),
      renderLockfile(setEntry({ ...base, serial: 9 }, 'alpha', entry('t1', 'c'))),
      { ours: 'HEAD', theirs: 'feature' },
    );
    let error: unknown;
    try {
      parseLockfile(text, 'teams/news/titan.lock');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const { message, hint } = error as InvalidInputError;
    expect(message).toContain('conflict markers');
    expect(message).not.toContain('JSON');
    expect(hint).toContain('titan state merge teams/news/titan.lock');
    expect(hint).toContain("git config merge.titan.driver 'titan state merge %O %A %B %P'");
    expect(hint).toContain('titan.lock merge=titan');
  });

  it('says to pick a side when the markers are titan’s own', async () => {
    let written = '';
    const ours = lockOf(5, { ...base.tasks, alpha: entry('t1', 'b') });
    const theirs = lockOf(5, { ...base.tasks, alpha: entry('t1', 'c') });
    const merging = stateMerge(
      { writeResult: async (text) => void (written = text) },
      {
        base: renderLockfile(base),
        ours: renderLockfile(ours),
        theirs: renderLockfile(theirs),
        display: 'titan.lock',
      },
    );
    await expect(merging).rejects.toBeInstanceOf(RefusedError);
    await expect(merging).rejects.toThrow(/alpha changed on both sides: task t1 from tasks\/a\.yaml/);
    expect(() => parseLockfile(written, 'titan.lock')).toThrow(/could not resolve/);
  });
});

describe('stateMerge', () => {
  it('writes the merged lockfile in its stable format, an empty base meaning none', async () => {
    let written = '';
    const outcome = await stateMerge(
      { writeResult: async (text) => void (written = text) },
      {
        base: '',
        ours: renderLockfile(lockOf(1, { alpha: entry('t1') })),
        theirs: renderLockfile(lockOf(3, { beta: entry('t2') })),
        display: 'titan.lock',
      },
    );
    expect(outcome).toEqual({ serial: 4, entries: 2 });
    expect(written).toBe(renderLockfile(lockOf(4, { alpha: entry('t1'), beta: entry('t2') })));
  });
});
