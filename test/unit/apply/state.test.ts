import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { stateList, stateRm, type StateDeps } from '../../../src/app/state.js';
import { emptyLock } from '../../../src/core/lock/ops.js';
import { journalPath } from '../../../src/io/journal.js';
import { readLockfile, writeLockfile } from '../../../src/io/lockfile.js';
import { processLockEnvironment } from '../../../src/io/workspace-lock.js';
import { resolveWorkspace } from '../../../src/io/workspace.js';

const ORIGIN = 'https://api.example.com';
const ENTRY = {
  id: 'task-1',
  digest: `sha256:${'b'.repeat(64)}`,
  updated_at: '2025-01-01T00:00:00Z',
  file: 'tasks/a.yaml',
  protect: false,
};

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function setup(journal: object[] | undefined) {
  const root = await mkdtemp(path.join(tmpdir(), 'titan-state-'));
  const workspace = resolveWorkspace([], root);
  await mkdir(workspace.stateDir, { recursive: true });
  const lineage = '00000000-0000-4000-8000-000000000001';
  await writeLockfile(workspace.lockfilePath, { ...emptyLock(ORIGIN, lineage), tasks: { a: ENTRY } });
  if (journal !== undefined) {
    const begin = { t: 'begin', run: 'r', at: '2025-01-01T00:00:00Z', origin: ORIGIN, lineage, serial: 0 };
    const lines = [begin, ...journal].map((record) => JSON.stringify(record));
    await writeFile(journalPath(workspace.stateDir), `${lines.join('\n')}\n`);
  }
  const stdout = sink();
  const stderr = sink();
  const deps: StateDeps = {
    workspace,
    stdout: stdout.stream,
    stderr: stderr.stream,
    lockEnvironment: processLockEnvironment({}, () => undefined),
    now: () => new Date('2025-01-02T00:00:00Z'),
    json: false,
    lockTimeoutMs: 1_000,
  };
  return { deps, workspace, stdout, stderr };
}

const createIntent = {
  t: 'intent',
  n: 1,
  op: 'create',
  key: 'b',
  entry: { digest: ENTRY.digest, file: 'tasks/b.yaml', protect: false },
};

describe('titan state list and an interrupted apply', () => {
  it('warns when the journal holds writes titan.lock does not show', async () => {
    const { deps, stdout, stderr } = await setup([createIntent]);
    await stateList(deps);
    expect(stdout.text()).toContain('task-1');
    expect(stderr.text()).toContain('Warning: an interrupted apply left a journal in .titan/');
  });

  it('says nothing about a journal whose writes all certainly failed', async () => {
    const { deps, stdout, stderr } = await setup([createIntent, { t: 'failed', n: 1, reason: 'refused' }]);
    await stateList(deps);
    expect(stdout.text()).toContain('task-1');
    expect(stderr.text()).toBe('');
  });
});

describe('titan state rm', () => {
  it('first settles the lock changes an interrupted apply journalled, then removes the key', async () => {
    const moved = { t: 'lock', set: { c: { ...ENTRY, id: 'task-3', file: 'tasks/c.yaml' } } };
    const { deps, workspace, stdout } = await setup([moved]);
    await stateRm(deps, 'a');
    const lock = await readLockfile(workspace.lockfilePath);
    expect(Object.keys(lock?.tasks ?? {})).toEqual(['c']);
    expect(lock?.serial).toBe(2); // one rewrite settles the journal, one removes the key
    expect(stdout.text()).toContain('Removed a from titan.lock (serial 2)');
    expect(existsSync(journalPath(workspace.stateDir))).toBe(false);
  });
});
