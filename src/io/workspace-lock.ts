/**
 * One writer per workspace (design.md §7): `.titan/apply.lock` is created exclusively (O_EXCL) and names its
 * holder. A holder on this host whose process is gone is taken over with a warning; anything else waits up to
 * `--lock-timeout`, then refuses (exit 4) with the holder's details and the `force-unlock` command.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { formatDuration } from '../core/duration.js';
import { InvalidInputError, OperationalError, RefusedError } from '../core/errors.js';

export const WORKSPACE_LOCK_FILE = 'apply.lock';

export interface LockHolder {
  id: string;
  user: string;
  host: string;
  pid: number;
  /** ISO-8601 time the lock was taken. */
  created_at: string;
  /** The command that holds it (`apply`, `state rm`, …). */
  command: string;
  /** CI run URL (GitHub Actions) when the holder runs in CI. */
  ci_run_url?: string;
}

/** The effects the lock needs, passed in so tests can stage other holders. */
export interface LockEnvironment {
  user: string;
  host: string;
  pid: number;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Is process `pid` on this host alive? */
  isAlive: (pid: number) => boolean;
  /** Warnings (takeover of a dead holder). */
  warn: (message: string) => void;
}

export interface WorkspaceLock {
  holder: LockHolder;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  stateDir: string;
  command: string;
  /** How long to wait for another holder (ms); 0 refuses at once. */
  timeoutMs: number;
  pollMs?: number;
}

const lockPath = (stateDir: string): string => path.join(stateDir, WORKSPACE_LOCK_FILE);

/** Takes the workspace lock or throws RefusedError (exit 4) once `timeoutMs` has passed. */
export async function acquireWorkspaceLock(
  options: AcquireOptions,
  sys: LockEnvironment,
): Promise<WorkspaceLock> {
  await mkdir(options.stateDir, { recursive: true });
  const file = lockPath(options.stateDir);
  const holder = newHolder(options.command, sys);
  const deadline = sys.now().getTime() + options.timeoutMs;
  for (;;) {
    if (await tryCreate(file, holder)) return { holder, release: () => releaseIfOurs(file, holder.id) };
    const current = await readHolder(file);
    if (current === null) continue; // released between our attempt and the read: try again at once
    if (current.host === sys.host && !sys.isAlive(current.pid)) {
      sys.warn(
        `Taking over the workspace lock ${current.id}: its holder (pid ${current.pid} on ${current.host}, ` +
          `since ${current.created_at}) is no longer running.`,
      );
      await removeIfUnchanged(file, current);
      continue;
    }
    const remaining = deadline - sys.now().getTime();
    if (remaining <= 0) throw lockedError(current, options.timeoutMs, sys.now());
    await sys.sleep(Math.min(options.pollMs ?? 500, remaining));
  }
}

function newHolder(command: string, sys: LockEnvironment): LockHolder {
  const holder: LockHolder = {
    id: randomUUID(),
    user: sys.user,
    host: sys.host,
    pid: sys.pid,
    created_at: sys.now().toISOString(),
    command,
  };
  const runUrl = ciRunUrl(sys.env);
  if (runUrl !== undefined) holder.ci_run_url = runUrl;
  return holder;
}

/** GitHub Actions run URL from its standard variables. */
export function ciRunUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env;
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`;
}

async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OperationalError(`Cannot create the workspace lock ${file}: ${(error as Error).message}`);
  }
  try {
    await handle.writeFile(`${JSON.stringify(holder, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

/** The current holder, or null when there is no lock. An unreadable lock file is reported, never removed. */
export async function readHolder(file: string): Promise<LockHolder | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OperationalError(`Cannot read the workspace lock ${file}: ${(error as Error).message}`);
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.id === 'string' && typeof holder.pid === 'number') return holder;
  } catch {
    // fall through: a holder that crashed while writing the file leaves it empty or torn
  }
  return {
    id: 'unknown',
    user: 'unknown',
    host: 'unknown',
    pid: 0,
    created_at: 'unknown',
    command: 'unknown',
  };
}

/** Removes the lock file only if it still holds `expected` (another process may have taken over meanwhile). */
async function removeIfUnchanged(file: string, expected: LockHolder): Promise<void> {
  const current = await readHolder(file);
  if (current !== null && current.id === expected.id) await unlink(file).catch(() => undefined);
}

async function releaseIfOurs(file: string, id: string): Promise<void> {
  const current = await readHolder(file).catch(() => null);
  if (current?.id === id) await unlink(file).catch(() => undefined);
}

function lockedError(holder: LockHolder, timeoutMs: number, now: Date): RefusedError {
  const since = Date.parse(holder.created_at);
  const age = Number.isNaN(since) ? '' : ` for ${formatDuration(now.getTime() - since)}`;
  const waited = timeoutMs > 0 ? ` (waited ${formatDuration(timeoutMs)})` : '';
  return new RefusedError(
    `The workspace is locked${age} by another titan${waited}: ${describeHolder(holder)}.`,
    `Wait for it to finish (--lock-timeout 5m waits), or, if that run is gone for good, remove the lock with:\n` +
      `titan force-unlock ${holder.id}`,
  );
}

export function describeHolder(holder: LockHolder): string {
  const parts = [
    `lock id ${holder.id}`,
    `${holder.command} by ${holder.user}@${holder.host}`,
    `pid ${holder.pid}`,
  ];
  parts.push(`since ${holder.created_at}`);
  if (holder.ci_run_url) parts.push(`CI run ${holder.ci_run_url}`);
  return parts.join(', ');
}

/**
 * `titan force-unlock ID`: removes the lock when `id` names its holder. Returns the removed holder, or null when
 * the workspace was not locked.
 */
export async function forceUnlock(stateDir: string, id: string): Promise<LockHolder | null> {
  const file = lockPath(stateDir);
  const holder = await readHolder(file);
  if (holder === null) return null;
  if (holder.id !== id) {
    throw new InvalidInputError(
      `The workspace lock is held by ${holder.id}, not ${id}: ${describeHolder(holder)}.`,
      `To remove it, run: titan force-unlock ${holder.id}`,
    );
  }
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw new OperationalError(`Cannot remove ${file}: ${error.message}`);
  });
  return holder;
}

/** The real environment of this process. */
export function processLockEnvironment(
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): LockEnvironment {
  return {
    user: env.USER ?? env.USERNAME ?? env.LOGNAME ?? 'unknown',
    host: hostname(),
    pid: process.pid,
    env,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    isAlive: isProcessAlive,
    warn,
  };
}

/** Signal 0 checks existence: ESRCH = gone; EPERM = alive but not ours. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
