import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplySession, recoverWorkspace, type SessionDeps } from '../../../src/app/apply-session.js';
import { RefusedError } from '../../../src/core/errors.js';
import type { LockEntry } from '../../../src/core/lock/model.js';
import { readJournal } from '../../../src/io/journal.js';
import { readLockfile, writeLockfile } from '../../../src/io/lockfile.js';
import { resolveWorkspace } from '../../../src/io/workspace.js';

const ORIGIN = 'https://api.example.com';
const entry = (id: string): LockEntry => ({
  id,
  digest: `sha256:${'b'.repeat(64)}`,
  updated_at: '2025-01-01T00:00:00Z',
  file: 'tasks/a.yaml',
  protect: false,
});

async function setup(compactEvery = { records: 1000, ms: 1_000_000 }) {
  const root = await mkdtemp(path.join(tmpdir(), 'titan-session-'));
  const workspace = resolveWorkspace([], root);
  await mkdir(workspace.stateDir, { recursive: true });
  const warnings: string[] = [];
  let ids = 0;
  const deps: SessionDeps = {
    workspace,
    origin: ORIGIN,
    now: () => new Date('2025-01-01T00:00:00Z'),
    newId: () => `00000000-0000-4000-8000-00000000000${ids++}`,
    warn: (message) => warnings.push(message),
    compactEvery,
  };
  const journalFile = path.join(workspace.stateDir, 'journal.ndjson');
  return { deps, workspace, warnings, journalFile };
}

describe('ApplySession', () => {
  it('records intents before outcomes, writes the lock at the end and removes the journal', async () => {
    const { deps, workspace, journalFile } = await setup();
    const session = await ApplySession.open(deps, null, 'run-1');
    const n = await session.intent({
      op: 'create',
      key: 'a',
      entry: { digest: entry('x').digest, file: 'f', protect: false },
    });
    const journal = await readJournal(journalFile);
    expect(journal?.records.map((r) => r.t)).toEqual(['begin', 'intent']);
    expect(await readLockfile(workspace.lockfilePath)).toBeNull();

    await session.done(n, { set: { a: entry('t1') } });
    const result = await session.finish();
    expect(result).toMatchObject({ changed: true, unsettled: 0 });
    const lock = await readLockfile(workspace.lockfilePath);
    expect(lock).toMatchObject({ serial: 1, origin: ORIGIN, tasks: { a: entry('t1') } });
    expect(existsSync(journalFile)).toBe(false);
  });

  it('compacts into titan.lock as it goes, keeping open intents in the journal', async () => {
    const { deps, workspace, journalFile } = await setup({ records: 2, ms: 1_000_000 });
    const session = await ApplySession.open(deps, null, 'run-1');
    const open = await session.intent({ op: 'delete', key: 'z', id: 't9' });
    await session.record({ set: { a: entry('t1') } });
    await session.record({ set: { b: entry('t2') } });
    expect(Object.keys((await readLockfile(workspace.lockfilePath))?.tasks ?? {})).toEqual(['a', 'b']);
    const journal = await readJournal(journalFile);
    expect(journal?.records).toEqual([
      expect.objectContaining({ t: 'begin', serial: 1 }),
      expect.objectContaining({ n: open }),
    ]);
    const result = await session.finish();
    expect(result.unsettled).toBe(1);
    expect(existsSync(journalFile)).toBe(true); // the next run settles the open delete
  });

  it('leaves titan.lock untouched (same bytes, same serial) when nothing changed', async () => {
    const { deps, workspace } = await setup();
    await writeLockfile(workspace.lockfilePath, {
      version: 1,
      lineage: '5f0c6f5e-3a4b-4c1d-9e8f-0123456789ab',
      serial: 7,
      origin: ORIGIN,
      tasks: { a: entry('t1') },
    });
    const before = readFileSync(workspace.lockfilePath);
    const disk = await readLockfile(workspace.lockfilePath);
    const session = await ApplySession.open(deps, disk, 'run-1');
    await session.record({ set: { a: entry('t1') } });
    expect(await session.finish()).toMatchObject({ changed: false });
    expect(readFileSync(workspace.lockfilePath).equals(before)).toBe(true);
  });
});

describe('recoverWorkspace', () => {
  it('replays the outcomes a killed run journalled and bumps the serial once', async () => {
    const { deps, workspace, journalFile } = await setup();
    const lines = [
      { t: 'begin', run: 'r', at: 'x', origin: ORIGIN, lineage: null, serial: 0 },
      {
        t: 'intent',
        n: 1,
        op: 'create',
        key: 'a',
        entry: { digest: entry('t1').digest, file: 'f', protect: false },
      },
      { t: 'done', n: 1, set: { a: entry('t1') } },
      {
        t: 'intent',
        n: 2,
        op: 'create',
        key: 'b',
        entry: { digest: entry('t1').digest, file: 'f', protect: false },
      },
      { t: 'failed', n: 2, reason: 'refused' },
    ];
    await writeFile(journalFile, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"t":"inte`);
    const recovered = await recoverWorkspace({ ...deps, allowForeignOrigin: false }, undefined);
    expect(recovered.lock).toMatchObject({ serial: 1, tasks: { a: entry('t1') } });
    expect(await readLockfile(workspace.lockfilePath)).toEqual(recovered.lock);
    expect(existsSync(journalFile)).toBe(false);
  });

  it('offline, refuses to guess the outcome of writes that were in flight', async () => {
    const { deps, journalFile } = await setup();
    const lines = [
      { t: 'begin', run: 'r', at: 'x', origin: ORIGIN, lineage: null, serial: 0 },
      { t: 'intent', n: 1, op: 'delete', key: 'a', id: 't1' },
    ];
    await writeFile(journalFile, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    await expect(recoverWorkspace({ ...deps, allowForeignOrigin: false }, undefined)).rejects.toThrow(
      RefusedError,
    );
    expect(existsSync(journalFile)).toBe(true);
  });

  it('refuses a journal written for another service', async () => {
    const { deps, journalFile } = await setup();
    await writeFile(
      journalFile,
      `${JSON.stringify({ t: 'begin', run: 'r', at: 'x', origin: 'https://elsewhere.example', lineage: null, serial: 0 })}\n`,
    );
    await expect(recoverWorkspace({ ...deps, allowForeignOrigin: false }, undefined)).rejects.toThrow(
      /elsewhere/,
    );
  });
});
