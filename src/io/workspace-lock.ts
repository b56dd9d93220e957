/**
 * One writer per workspace (design.md §7): `.titan/apply.lock` names its holder and appears whole or not at all
 * (written to a temp file, then hard-linked into place, which fails if it exists). A holder on this host whose
 * process is gone is taken over with a warning; an unreadable lock (left by a writer that died half-way) is
 * removed once it is old enough; anything else waits up to `--lock-timeout` (Ctrl-C stops the wait), then
 * refuses (exit 4) with the holder's details and the `force-unlock` command.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { formatDuration } from '../core/duration.js';
import { InterruptedError, OperationalError, RefusedError, TitanError } from '../core/errors.js';
import { syncFolder, writeSyncedFile } from './files.js';

const WORKSPACE_LOCK_FILE = 'apply.lock';

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
  /** Resolves after `ms`, or early (or rejecting) once `signal` is aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Is process `pid` on this host alive? */
  isAlive: (pid: number) => boolean;
  /** Warnings (takeover of a dead holder, removal of a torn lock). */
  warn: (message: string) => void;
  /** Progress (waiting for another holder); defaults to `warn`. */
  notice?: (message: string) => void;
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
  /** Ctrl-C/SIGTERM: stop waiting and throw its reason (an InterruptedError: exit 130/143). */
  signal?: AbortSignal;
}

/**
 * An unreadable lock file older than this is stale: its writer died between creating and filling it (titan
 * creates it whole, so only a crash of an older titan or a damaged disk leaves one). Younger, it is waited for.
 */
export const UNREADABLE_LOCK_STALE_MS = 10_000;

const lockPath = (stateDir: string): string => path.join(stateDir, WORKSPACE_LOCK_FILE);

/** Takes the workspace lock, or throws RefusedError (exit 4) once `timeoutMs` has passed. */
export async function acquireWorkspaceLock(
  options: AcquireOptions,
  sys: LockEnvironment,
): Promise<WorkspaceLock> {
  await mkdir(options.stateDir, { recursive: true });
  const file = lockPath(options.stateDir);
  const holder = newHolder(options.command, sys);
  const deadline = sys.now().getTime() + options.timeoutMs;
  let told = false;
  for (;;) {
    throwIfAborted(options.signal);
    if (await tryCreate(file, holder)) return { holder, release: () => removeIfHeldBy(file, holder.id) };
    const current = await readLockState(file, sys.now());
    if (current.kind === 'free') continue; // released between our attempt and the read: try again at once
    if (current.kind === 'unreadable' && current.ageMs >= UNREADABLE_LOCK_STALE_MS) {
      sys.warn(
        `Removing the workspace lock ${file}: it is unreadable (empty or cut short) and ` +
          `${formatDuration(current.ageMs)} old, so the titan that created it died while writing it.`,
      );
      await removeIfUnreadable(file, current.text);
      continue;
    }
    if (current.kind === 'held' && isDeadHere(current.holder, sys)) {
      const dead = current.holder;
      sys.warn(
        `Taking over the workspace lock ${dead.id}: its holder (pid ${dead.pid} on ${dead.host}, ` +
          `since ${dead.created_at}) is no longer running.`,
      );
      await removeIfHeldBy(file, dead.id);
      continue;
    }
    // A young unreadable lock is waited for whatever the timeout: it becomes readable, goes, or turns stale.
    const until =
      current.kind === 'held' ? deadline : Math.max(deadline, sys.now().getTime() + UNREADABLE_LOCK_STALE_MS);
    const remaining = until - sys.now().getTime();
    if (remaining <= 0 && current.kind === 'held')
      throw lockedError(current.holder, options.timeoutMs, sys.now());
    if (!told) {
      told = true;
      (sys.notice ?? sys.warn)(
        current.kind === 'held'
          ? `Waiting up to ${formatDuration(remaining)} for the workspace lock (${describeHolder(current.holder)}); Ctrl-C stops.`
          : `Waiting for the unreadable workspace lock ${file} to be written or to turn stale; Ctrl-C stops.`,
      );
    }
    await sys
      .sleep(Math.max(1, Math.min(options.pollMs ?? 500, remaining)), options.signal)
      .catch(() => undefined);
  }
}

const isDeadHere = (holder: LockHolder, sys: LockEnvironment): boolean =>
  holder.host === sys.host && !sys.isAlive(holder.pid);

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted !== true) return;
  const reason: unknown = signal.reason;
  throw reason instanceof TitanError
    ? reason
    : new InterruptedError('Interrupted while waiting for the workspace lock; nothing was changed.');
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

/** Hard links lack on some file systems; there the lock is created exclusively and then written (not atomic). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP']);

/**
 * Creates the lock whole: the holder is written and synced to a temp file, which is then hard-linked to the
 * lock's name — an atomic step that fails if the lock exists. A crash leaves no lock or a complete one.
 */
async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  const content = `${JSON.stringify(holder, null, 2)}\n`;
  const temp = `${file}.${holder.id}.tmp`;
  try {
    await writeSyncedFile(temp, content);
    await link(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code))
      throw new OperationalError(`Cannot create the workspace lock ${file}: ${(error as Error).message}`);
    return createExclusively(file, content);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await syncFolder(path.dirname(file));
  return true;
}

async function createExclusively(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { encoding: 'utf8', flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OperationalError(`Cannot create the workspace lock ${file}: ${(error as Error).message}`);
  }
}

type LockState =
  | { kind: 'free' }
  | { kind: 'held'; holder: LockHolder }
  /** Empty or torn: `text` is what it holds, `ageMs` how long since it was last written. */
  | { kind: 'unreadable'; text: string; ageMs: number };

async function readLockState(file: string, now: Date): Promise<LockState> {
  let text: string;
  let modified: number;
  try {
    [text, modified] = await Promise.all([readFile(file, 'utf8'), stat(file).then((info) => info.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'free' };
    throw new OperationalError(`Cannot read the workspace lock ${file}: ${(error as Error).message}`);
  }
  const holder = parseHolder(text);
  if (holder !== undefined) return { kind: 'held', holder };
  return { kind: 'unreadable', text, ageMs: Math.max(0, now.getTime() - modified) };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.id === 'string' && typeof holder.pid === 'number') return holder;
  } catch {
    // an older titan that crashed while writing the file leaves it empty or torn
  }
  return undefined;
}

/** The id `force-unlock` takes for a lock file that cannot be read. */
const UNREADABLE_LOCK_ID = 'unreadable';

/** The current holder, or null when there is no lock. An unreadable lock file reads as a holder with id "unreadable". */
async function readHolder(file: string): Promise<LockHolder | null> {
  const state = await readLockState(file, new Date());
  if (state.kind === 'free') return null;
  if (state.kind === 'held') return state.holder;
  return {
    id: UNREADABLE_LOCK_ID,
    user: 'unknown',
    host: 'unknown',
    pid: 0,
    created_at: 'unknown',
    command: 'unknown',
  };
}

/** Removes a torn lock file only if it is still the same torn file. */
async function removeIfUnreadable(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) await unlink(file).catch(() => undefined);
}

/** Removes the lock file only if it is still held by `id` (another process may have taken over meanwhile). */
async function removeIfHeldBy(file: string, id: string): Promise<void> {
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
    // A lock taken since the id was printed belongs to a run that may be writing right now.
    throw new RefusedError(
      `The workspace lock is held by ${holder.id}, not ${id}: ${describeHolder(holder)}; nothing was removed.`,
      `Check that its holder is gone for good (a lock taken since belongs to a run that may be writing now), then run: titan force-unlock ${holder.id}`,
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
  notice: (message: string) => void = warn,
): LockEnvironment {
  return {
    user: env.USER ?? env.USERNAME ?? env.LOGNAME ?? 'unknown',
    host: hostname(),
    pid: process.pid,
    env,
    now: () => new Date(),
    sleep: sleepUnlessAborted,
    isAlive: isProcessAlive,
    warn,
    notice,
  };
}

/** Resolves after `ms`, or as soon as `signal` is aborted. */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Signal 0 checks existence: ESRCH = gone; EPERM = alive but not ours. */
function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
