import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApplySession, recoverWorkspace, type SessionDeps } from '../../../src/app/apply-session.js';
import { InterruptedError, RefusedError } from '../../../src/core/errors.js';
import type { LockEntry } from '../../../src/core/lock/model.js';
import type { TaskSpec } from '../../../src/core/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';
import { createBodyFromSpec } from '../../../src/core/task-body.js';
import { createClient } from '../../../src/io/api/client.js';
import { readJournal } from '../../../src/io/journal.js';
import { readLockfile, writeLockfile } from '../../../src/io/lockfile.js';
import { resolveWorkspace } from '../../../src/io/workspace.js';
import { startEmulator } from '../../helpers/emulator.js';

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
  const clock = { now: Date.parse('2025-01-01T00:00:00Z') };
  const deps: SessionDeps = {
    workspace,
    origin: ORIGIN,
    now: () => new Date(clock.now),
    newId: () => `00000000-0000-4000-8000-00000000000${ids++}`,
    warn: (message) => warnings.push(message),
    sleep: async (ms) => {
      clock.now += ms;
    },
    compactEvery,
  };
  const journalFile = path.join(workspace.stateDir, 'journal.ndjson');
  return { deps, workspace, warnings, journalFile, clock };
}

const writeJournal = (file: string, lines: object[]) =>
  writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);

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

  it('reports titan.lock as changed when compactions during the run already wrote it', async () => {
    const { deps, workspace } = await setup({ records: 1, ms: 1_000_000 });
    const session = await ApplySession.open(deps, null, 'run-1');
    await session.record({ set: { a: entry('t1') } });
    expect(await readLockfile(workspace.lockfilePath)).toMatchObject({ serial: 1 }); // written mid-run
    expect(await session.finish()).toMatchObject({ changed: true, lock: { serial: 1 } });
  });

  it('stamps each intent with its time and the window in which its create may still land', async () => {
    const { deps, journalFile } = await setup();
    const session = await ApplySession.open({ ...deps, createWindowMs: 12_000 }, null, 'run-1');
    const digest = `sha256:${'0'.repeat(64)}`;
    await session.intent({ op: 'create', key: 'a', entry: { digest, file: 'f', protect: false } });
    expect((await readJournal(journalFile))?.records[1]).toMatchObject({
      t: 'intent',
      at: '2025-01-01T00:00:00.000Z',
      windowMs: 12_000,
    });
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

describe('recoverWorkspace and creates that may still land', () => {
  const spec: TaskSpec = {
    name: 'Late task',
    execution_type: 'single',
    urls: ['https://shop.example/late'],
    objective: 'Extract the price',
    output_schema: { type: 'object' },
  };
  const createIntent = (at: string) => ({
    t: 'intent',
    n: 1,
    op: 'create',
    key: 'late',
    name: spec.name,
    entry: { digest: appliedDigest(spec), file: 'tasks/late.yaml', protect: false },
    at,
    windowMs: 10_000,
  });

  it('waits until the window of a create sent moments before the crash has passed, then finds the task', async () => {
    const emulator = await startEmulator({ scheduler: false });
    try {
      const { deps, journalFile, clock } = await setup();
      const begin = { t: 'begin', run: 'r', at: 'x', origin: emulator.url, lineage: null, serial: 0 };
      await writeJournal(journalFile, [begin, createIntent(new Date(clock.now - 2_000).toISOString())]);
      const notices: string[] = [];
      let landed: string | undefined;
      const recovered = await recoverWorkspace(
        {
          ...deps,
          origin: emulator.url,
          allowForeignOrigin: false,
          notice: (message) => notices.push(message),
          sleep: async (ms) => {
            // The service carries the create out while titan waits.
            landed ??= String(emulator.remote.createTask(createBodyFromSpec(spec)).id);
            clock.now += ms;
          },
        },
        createClient({ origin: emulator.url, token: emulator.token }),
      );
      expect(notices.join('\n')).toMatch(
        /sent 1 create\(s\) moments ago .* Waiting 8s before looking them up/,
      );
      expect(recovered.notes).toEqual([`create of late: found as ${landed}, recorded (not created twice)`]);
      expect(recovered.lock?.tasks.late?.id).toBe(landed);
    } finally {
      await emulator.close();
    }
  });

  it('does not wait for creates whose window has passed', async () => {
    const emulator = await startEmulator({ scheduler: false });
    try {
      const { deps, journalFile, clock } = await setup();
      const begin = { t: 'begin', run: 'r', at: 'x', origin: emulator.url, lineage: null, serial: 0 };
      await writeJournal(journalFile, [begin, createIntent(new Date(clock.now - 60_000).toISOString())]);
      let slept = 0;
      const recovered = await recoverWorkspace(
        {
          ...deps,
          origin: emulator.url,
          allowForeignOrigin: false,
          sleep: async () => {
            slept++;
          },
        },
        createClient({ origin: emulator.url, token: emulator.token }),
      );
      expect(slept).toBe(0);
      expect(recovered.notes).toEqual(['create of late: not on the service, so it did not happen']);
    } finally {
      await emulator.close();
    }
  });

  it('Ctrl-C during the wait stops with the signal (exit 130) and keeps the journal for the next run', async () => {
    const { deps, journalFile, clock } = await setup();
    const begin = { t: 'begin', run: 'r', at: 'x', origin: ORIGIN, lineage: null, serial: 0 };
    await writeJournal(journalFile, [begin, createIntent(new Date(clock.now).toISOString())]);
    const stop = new AbortController();
    const never = createClient({
      origin: ORIGIN,
      token: 'unused',
      fetch: () => Promise.reject(new Error('no request expected')),
    });
    const error = await recoverWorkspace(
      {
        ...deps,
        allowForeignOrigin: false,
        stop: stop.signal,
        sleep: async () => {
          stop.abort(new InterruptedError('Interrupted by SIGINT.'));
        },
      },
      never,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
    expect(existsSync(journalFile)).toBe(true);
  });
});
