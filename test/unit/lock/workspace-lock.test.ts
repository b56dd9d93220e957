import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, RefusedError } from '../../../src/core/errors.js';
import {
  acquireWorkspaceLock,
  ciRunUrl,
  forceUnlock,
  type LockEnvironment,
  type LockHolder,
} from '../../../src/io/workspace-lock.js';

function environment(overrides: Partial<LockEnvironment> = {}): LockEnvironment & { warnings: string[] } {
  const warnings: string[] = [];
  let clock = Date.parse('2025-01-01T00:00:00Z');
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
    await expect(forceUnlock(dir, 'other')).rejects.toThrow(InvalidInputError);
    expect((await forceUnlock(dir, 'held-1'))?.id).toBe('held-1');
    expect(await forceUnlock(dir, 'held-1')).toBeNull();
  });

  it('builds the CI run URL only from complete GitHub variables', () => {
    expect(ciRunUrl({ GITHUB_RUN_ID: '1' })).toBeUndefined();
  });
});
