import { mkdtemp, readFile, readdir, utimes, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InterruptedError, RefusedError } from '../../../src/core/errors.js';
import {
  acquireWorkspaceLock,
  ciRunUrl,
  forceUnlock,
  UNREADABLE_LOCK_STALE_MS,
  type LockEnvironment,
  type LockHolder,
} from '../../../src/io/workspace-lock.js';

const START = Date.parse('2025-01-01T00:00:00Z');

function environment(overrides: Partial<LockEnvironment> = {}): LockEnvironment & { warnings: string[] } {
  const warnings: string[] = [];
  let clock = START;
  return {
    user: 'ana',
    host: 'build-1',
    pid: 4242,
    env: {},
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
    isAlive: () => true,
    warn: (message) => warnings.push(message),
    warnings,
    ...overrides,
  };
}

async function stateDir(): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'titan-wslock-')), '.titan');
}

async function stageHolder(dir: string, holder: Partial<LockHolder>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const full: LockHolder = {
    id: 'held-1',
    user: 'bob',
    host: 'build-1',
    pid: 999,
    created_at: '2024-12-31T23:50:00.000Z',
    command: 'apply',
    ...holder,
  };
  await writeFile(path.join(dir, 'apply.lock'), JSON.stringify(full));
}

describe('workspace lock', () => {
  it('records its holder and is removed on release', async () => {
    const dir = await stateDir();
    const lock = await acquireWorkspaceLock(
      { stateDir: dir, command: 'apply', timeoutMs: 0 },
      environment({
        env: {
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_REPOSITORY: 'acme/tasks',
          GITHUB_RUN_ID: '77',
        },
      }),
    );
    const onDisk = JSON.parse(await readFile(path.join(dir, 'apply.lock'), 'utf8')) as LockHolder;
    expect(onDisk).toMatchObject({
      user: 'ana',
      host: 'build-1',
      pid: 4242,
      command: 'apply',
      id: lock.holder.id,
    });
    expect(onDisk.ci_run_url).toBe('https://github.com/acme/tasks/actions/runs/77');
    await lock.release();
    expect(existsSync(path.join(dir, 'apply.lock'))).toBe(false);
  });

  it('refuses a live holder with exit 4, its details and the force-unlock command', async () => {
    const dir = await stateDir();
    await stageHolder(dir, { host: 'other-host' });
    const error = await acquireWorkspaceLock(
      { stateDir: dir, command: 'apply', timeoutMs: 0 },
      environment(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedError);
    expect((error as RefusedError).message).toContain('apply by bob@other-host');
    expect((error as RefusedError).message).toContain('pid 999');
    expect((error as RefusedError).hint).toContain('titan force-unlock held-1');
  });

  it('waits up to --lock-timeout for the holder to go away', async () => {
    const dir = await stateDir();
    await stageHolder(dir, {});
    let polls = 0;
    const env = environment({
      sleep: async () => {
        polls++;
        if (polls === 3) await forceUnlock(dir, 'held-1');
      },
    });
    const lock = await acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 60_000 }, env);
    expect(polls).toBe(3);
    await lock.release();
  });

  it('gives up after the timeout', async () => {
    const dir = await stateDir();
    await stageHolder(dir, {});
    await expect(
      acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 5_000 }, environment()),
    ).rejects.toThrow(/waited 5s/);
  });

  it('takes over from a dead holder on the same host, with a warning', async () => {
    const dir = await stateDir();
    await stageHolder(dir, {});
    const env = environment({ isAlive: (pid) => pid !== 999 });
    const lock = await acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 0 }, env);
    expect(env.warnings.join('\n')).toMatch(/Taking over the workspace lock held-1: .*pid 999/);
    await lock.release();
  });

  it('does not judge the liveness of a holder on another host', async () => {
    const dir = await stateDir();
    await stageHolder(dir, { host: 'elsewhere' });
    const env = environment({ isAlive: () => false });
    await expect(
      acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 0 }, env),
    ).rejects.toThrow(RefusedError);
  });

  it('force-unlock removes only the named lock', async () => {
    const dir = await stateDir();
    await stageHolder(dir, {});
    const wrong = await forceUnlock(dir, 'other').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(RefusedError); // exit 4: a lock taken since may belong to a running apply
    expect((wrong as RefusedError).message).toContain('held by held-1, not other');
    expect((wrong as RefusedError).hint).toContain('titan force-unlock held-1');
    expect(existsSync(path.join(dir, 'apply.lock'))).toBe(true);
    expect((await forceUnlock(dir, 'held-1'))?.id).toBe('held-1');
    expect(await forceUnlock(dir, 'held-1')).toBeNull();
  });

  it("Ctrl-C while waiting for the lock stops at once with the signal's reason", async () => {
    const dir = await stateDir();
    await stageHolder(dir, { host: 'other-host' });
    const stop = new AbortController();
    let polls = 0;
    const env = environment({
      sleep: async () => {
        polls++;
        if (polls === 2) stop.abort(new InterruptedError('Interrupted by SIGTERM.', 'SIGTERM'));
      },
    });
    const error = await acquireWorkspaceLock(
      { stateDir: dir, command: 'apply', timeoutMs: 600_000, signal: stop.signal },
      env,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(143);
    expect(polls).toBe(2);
    expect(env.warnings.join('\n')).toMatch(/Waiting up to 10m00s for the workspace lock \(lock id held-1, /);
  });

  it('writes the holder into apply.lock and leaves no temp file', async () => {
    const dir = await stateDir();
    const lock = await acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 0 }, environment());
    expect(await readdir(dir)).toEqual(['apply.lock']);
    expect(JSON.parse(await readFile(path.join(dir, 'apply.lock'), 'utf8'))).toMatchObject({
      id: lock.holder.id,
    });
    await lock.release();
  });

  it('removes an unreadable (empty or torn) lock once it is old enough, with a warning', async () => {
    const dir = await stateDir();
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'apply.lock');
    await writeFile(file, '{"id": "cut-sh');
    const old = new Date(START - 60_000);
    await utimes(file, old, old);
    const env = environment();
    const lock = await acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 0 }, env);
    expect(env.warnings.join('\n')).toMatch(/it is unreadable \(empty or cut short\) and 1m00s old/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ id: lock.holder.id });
    await lock.release();
  });

  it('waits for a young unreadable lock to turn stale (even with --lock-timeout 0), then takes it', async () => {
    const dir = await stateDir();
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'apply.lock');
    await writeFile(file, '');
    const young = new Date(START - 1_000);
    await utimes(file, young, young);
    let waited = 0;
    const env = environment();
    const sleep = env.sleep;
    env.sleep = async (ms) => {
      waited += ms;
      await sleep(ms);
    };
    const lock = await acquireWorkspaceLock({ stateDir: dir, command: 'apply', timeoutMs: 0 }, env);
    expect(waited).toBeGreaterThanOrEqual(UNREADABLE_LOCK_STALE_MS - 1_000);
    expect(env.warnings[0]).toMatch(/Waiting for the unreadable workspace lock/);
    await lock.release();
  });

  it('builds the CI run URL only from complete GitHub variables', () => {
    expect(ciRunUrl({ GITHUB_RUN_ID: '1' })).toBeUndefined();
  });
});
