/**
 * The workspace lock, signals and crashes, end to end: two applies at once, a dead or remote lock holder,
 * force-unlock, Ctrl-C / SIGTERM during an apply or while it waits for the lock, and an apply killed while the
 * service is still carrying out its creates.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { readLockfile } from '../../src/io/lockfile.js';
import { startEmulator, useEmulator } from '../helpers/emulator.js';
import {
  classicTask,
  createWorkspace,
  describeRun,
  liveTasks,
  planIsEmpty,
  spawnTitan,
  titan,
  type Workspace,
} from './apply-support.js';

const tasks = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => classicTask(`${prefix}${String(i + 1).padStart(2, '0')}`));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

function stageLock(ws: Workspace, holder: Record<string, unknown>): void {
  mkdirSync(path.join(ws.dir, '.titan'), { recursive: true });
  writeFileSync(
    path.join(ws.dir, '.titan', 'apply.lock'),
    JSON.stringify({
      id: 'lock-1',
      user: 'bob',
      pid: 1,
      created_at: '2025-01-01T00:00:00Z',
      command: 'apply',
      ...holder,
    }),
  );
}

/** Managed tasks equal the manifests, exactly once each. */
async function expectConverged(
  ws: Workspace,
  emulator: Emulator,
  count: number,
  prefix: string,
): Promise<void> {
  const live = (await liveTasks(emulator)).filter((t) => t.name.startsWith(`Task ${prefix}`));
  expect(live).toHaveLength(count);
  expect(Object.keys((await readLockfile(path.join(ws.dir, 'titan.lock')))?.tasks ?? {})).toHaveLength(count);
  expect((await planIsEmpty(ws, emulator)).keys).toEqual([]);
}

describe('workspace lock', () => {
  const emulator = useEmulator({ scheduler: false, latencyMs: 40 });

  it('refuses a second apply while one runs (exit 4, holder and force-unlock command)', async () => {
    const ws = createWorkspace();
    // Long enough (60 writes at 40 ms, one at a time) that a second titan starting on a loaded machine finds it running.
    ws.writeManifests(tasks('c', 60));
    const first = spawnTitan(ws, emulator(), ['apply', '--auto-approve', '--parallelism', '1']);
    await waitFor(() => first.output().stdout.includes('created'), 'the first apply to start writing');
    const second = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(second.code, describeRun(second)).toBe(4);
    expect(second.stderr).toMatch(
      /The workspace is locked .* by another titan: lock id [0-9a-f-]+, apply by /,
    );
    expect(second.stderr).toMatch(/titan force-unlock [0-9a-f-]+/);
    const done = await first.done;
    expect(done.code, describeRun(done)).toBe(0);
    expect(existsSync(path.join(ws.dir, '.titan', 'apply.lock'))).toBe(false);
    await expectConverged(ws, emulator(), 60, 'c');
  });

  it('waits with --lock-timeout, takes over from a dead holder on this host, and force-unlock frees a remote one', async () => {
    const ws = createWorkspace();
    ws.writeManifests(tasks('l', 2));

    stageLock(ws, { host: hostname(), pid: 2 ** 22 + 12345 });
    const takeover = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(takeover.code, describeRun(takeover)).toBe(0);
    expect(takeover.stderr).toContain('Taking over the workspace lock lock-1');

    stageLock(ws, { host: 'ci-runner-7', ci_run_url: 'https://github.com/acme/tasks/actions/runs/9' });
    const waited = await titan(ws, emulator(), ['apply', '--auto-approve', '--lock-timeout', '600ms']);
    expect(waited.code).toBe(4);
    expect(waited.stderr).toContain('(waited 600ms)');
    expect(waited.stderr).toContain('CI run https://github.com/acme/tasks/actions/runs/9');

    const wrongId = await titan(ws, emulator(), ['force-unlock', 'wrong-id']);
    expect(wrongId.code, describeRun(wrongId)).toBe(4);
    expect(wrongId.stderr).toContain('held by lock-1, not wrong-id');
    expect(wrongId.stderr).toContain('titan force-unlock lock-1');
    const unlocked = await titan(ws, emulator(), ['force-unlock', 'lock-1']);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain('Removed the workspace lock');
    expect((await titan(ws, emulator(), ['apply', '--auto-approve'])).code).toBe(0);
  });
});

describe('signals while waiting for the workspace lock', () => {
  const emulator = useEmulator({ scheduler: false });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} stops the wait at once (exit ${code}) and leaves the other holder's lock alone`, async () => {
      const ws = createWorkspace();
      ws.writeManifests(tasks('w', 1));
      stageLock(ws, { host: 'ci-runner-7' });
      const lockFile = path.join(ws.dir, '.titan', 'apply.lock');
      const staged = readFileSync(lockFile, 'utf8');
      const run = spawnTitan(ws, emulator(), ['apply', '--auto-approve', '--lock-timeout', '5m']);
      await waitFor(
        () => /Waiting up to \S+ for the workspace lock/.test(run.output().stderr),
        'the wait for the lock',
      );
      const signalledAt = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code, describeRun(result)).toBe(code);
      expect(result.exitedAt - signalledAt).toBeLessThan(2_000);
      expect(readFileSync(lockFile, 'utf8')).toBe(staged);
    });
  }
});

describe('signals', () => {
  const emulator = useEmulator({ scheduler: false, latencyMs: 150 });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: stops starting writes, finishes those in flight, records them, exits ${code}`, async () => {
      const prefix = signal === 'SIGINT' ? 'i' : 't';
      const ws = createWorkspace();
      ws.writeManifests(tasks(prefix, 20));
      const run = spawnTitan(ws, emulator(), ['apply', '--auto-approve', '--parallelism', '2']);
      await waitFor(() => run.output().stdout.includes('created'), 'the first create');
      const signalledAt = Date.now();
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code, describeRun(result)).toBe(code);
      expect(Date.now() - signalledAt).toBeLessThan(6_000);
      expect(result.stderr).toContain(`${signal}: starting no new writes`);
      expect(result.stdout).toMatch(/Apply interrupted \(SIG(INT|TERM)\): \d+ done .*not attempted/);

      const lock = await readLockfile(path.join(ws.dir, 'titan.lock'));
      const recorded = Object.keys(lock?.tasks ?? {}).length;
      expect(recorded).toBeGreaterThan(0);
      expect(recorded).toBeLessThan(20);
      const live = (await liveTasks(emulator())).filter((t) => t.name.startsWith(`Task ${prefix}`));
      expect(live).toHaveLength(recorded); // every write that happened is in the lockfile

      const again = await titan(ws, emulator(), ['apply', '--auto-approve']);
      expect(again.code, describeRun(again)).toBe(0);
      await expectConverged(ws, emulator(), 20, prefix);
    });
  }

  it('a second SIGINT abandons writes in flight within a second; the next apply settles them without duplicates', async () => {
    const ws = createWorkspace();
    ws.writeManifests(tasks('d', 6));
    // The service carries each create out 800 ms after it arrives, even when titan has gone by then.
    const slow = await startEmulator({ scheduler: false, lateCommitMs: 800 });
    try {
      const run = spawnTitan(ws, slow, ['apply', '--auto-approve', '--parallelism', '3'], {
        TITAN_TEST_CREATE_WINDOW_MS: '2000',
      });
      const journal = path.join(ws.dir, '.titan', 'journal.ndjson');
      await waitFor(
        () => existsSync(journal) && readFileSync(journal, 'utf8').includes('"t":"intent"'),
        'the first intent in the journal',
      );
      await delay(200);
      run.child.kill('SIGINT');
      await delay(100);
      const secondAt = Date.now();
      run.child.kill('SIGINT');
      const result = await run.done;
      expect(result.code, describeRun(result)).toBe(130);
      expect(result.exitedAt - secondAt).toBeLessThan(1_000);
      expect(result.stderr).toContain('abandoning writes in flight');
      expect(readFileSync(journal, 'utf8')).toContain('"t":"intent"');

      // At once, while the abandoned creates are still landing: the next apply waits for them, then records them.
      const again = await titan(ws, slow, ['apply', '--auto-approve']);
      expect(again.code, describeRun(again)).toBe(0);
      expect(again.stderr).toMatch(/Waiting \d+(ms|s) before looking them up/);
      expect(again.stderr).toMatch(/Settled \d+ write\(s\) left by an interrupted apply/);
      expect(again.stderr).toMatch(/found as .*, recorded \(not created twice\)/);
      expect(slow.remote.taskCount()).toBe(6); // every task ever created: none twice
      await expectConverged(ws, slow, 6, 'd');
    } finally {
      await slow.close();
    }
  });
});

describe('crashes', () => {
  const emulator = useEmulator({ scheduler: false });

  it('killed with SIGKILL while its creates are still being carried out: an immediate re-apply creates none twice', async () => {
    const ws = createWorkspace();
    ws.writeManifests(tasks('k', 4));
    const slow = await startEmulator({ scheduler: false, lateCommitMs: 1_500 });
    try {
      const run = spawnTitan(ws, slow, ['apply', '--auto-approve', '--parallelism', '4'], {
        TITAN_TEST_CREATE_WINDOW_MS: '3000',
      });
      await waitFor(
        () => (slow.stats().byRoute['POST /api/v1/tasks'] ?? 0) >= 4,
        'the four creates to reach the service',
      );
      run.child.kill('SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
      expect(slow.remote.taskCount()).toBe(0); // none has landed yet

      const again = await titan(ws, slow, ['apply', '--auto-approve']);
      expect(again.code, describeRun(again)).toBe(0);
      expect(again.stderr).toContain('An interrupted apply sent 4 create(s) moments ago');
      expect(again.stderr.match(/not created twice/g)).toHaveLength(4);
      expect(slow.remote.taskCount()).toBe(4);
      await expectConverged(ws, slow, 4, 'k');
    } finally {
      await slow.close();
    }
  });

  it('plan and drift warn about writes an interrupted apply left unsettled; the next apply settles them', async () => {
    const ws = createWorkspace();
    ws.writeManifests(tasks('j', 3));
    // Killed after the second create was answered, before its outcome reached the journal.
    const crashed = await spawnTitan(ws, emulator(), ['apply', '--auto-approve', '--parallelism', '1'], {
      TITAN_TEST_CRASH_AT: 'answered:create:2',
      TITAN_TEST_CREATE_WINDOW_MS: '0',
    }).done;
    expect(crashed.signal).toBe('SIGKILL');
    const warning =
      'Warning: an interrupted apply left 1 unsettled write(s) and 1 change(s) not yet in titan.lock in ' +
      '.titan/journal.ndjson; run titan apply to settle them.';
    const plan = await titan(ws, emulator(), ['plan']);
    expect(plan.code, describeRun(plan)).toBe(0);
    expect(plan.stderr).toContain(warning);
    const drift = await titan(ws, emulator(), ['drift']);
    expect(drift.stderr).toContain(warning);

    const again = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.stderr).toMatch(/create of j02: found as .*, recorded \(not created twice\)/);
    expect((await titan(ws, emulator(), ['plan'])).stderr).not.toContain('interrupted apply');
    await expectConverged(ws, emulator(), 3, 'j');
  });
});
