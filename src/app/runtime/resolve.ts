/**
 * Manifest key → remote task id, through the workspace's `titan.lock`; or a task id given as is. Runtime commands
 * address tasks the way manifests do, so the user never copies ids around.
 */
import path from 'node:path';
import { InvalidInputError, RefusedError } from '../../core/errors.js';
import type { Lockfile } from '../../core/lock/model.js';
import { readLockfile, sameOrigin } from '../../io/lockfile.js';
import type { RuntimeContext } from './context.js';
import { KEY_SEARCH_DEPTH } from './locate.js';

export interface TaskRef {
  key?: string;
  taskId?: string;
}

export interface ResolvedTask {
  taskId: string;
  /** Known when addressed by key, or when the lock manages the id. */
  key?: string;
}

/** Exactly one of KEY and --task-id; the key must be in the lockfile, which must belong to this origin. */
export async function resolveTask(ctx: RuntimeContext, ref: TaskRef): Promise<ResolvedTask> {
  return (await resolveTaskAndKeys(ctx, ref)).task;
}

/** `resolveTask`, plus what `readTaskKeys` returns, from one read of the lockfile. */
export async function resolveTaskAndKeys(
  ctx: RuntimeContext,
  ref: TaskRef,
): Promise<{ task: ResolvedTask; keys: Map<string, string> }> {
  if (ref.key !== undefined && ref.taskId !== undefined) {
    throw new InvalidInputError('Give a task KEY or --task-id, not both.');
  }
  if (ref.taskId !== undefined) {
    const keys = keysByTaskId(await readLockQuietly(ctx));
    const key = keys.get(ref.taskId);
    return { task: key === undefined ? { taskId: ref.taskId } : { taskId: ref.taskId, key }, keys };
  }
  if (ref.key === undefined) throw new InvalidInputError('Name the task: a manifest KEY, or --task-id ID.');
  const lockfilePath = ctx.workspace.lockfilePath;
  const lock = await readLockfile(lockfilePath);
  if (lock === null) {
    throw new InvalidInputError(
      `Cannot resolve "${ref.key}": there is no lockfile at ${displayPath(ctx, lockfilePath)}.`,
      "Keys are recorded by `titan apply` in the workspace's titan.lock; without --workspace, titan looks in " +
        `./titan.lock and in the workspaces up to ${KEY_SEARCH_DEPTH} folders below. Apply first, point at the ` +
        'workspace with --workspace DIR, or address the task by id with --task-id ID.',
    );
  }
  assertSameOrigin(ctx, lock);
  const entry = lock.tasks[ref.key];
  if (entry === undefined) {
    throw new InvalidInputError(
      `No task "${ref.key}" in ${displayPath(ctx, lockfilePath)}.`,
      unknownKeyHint(ref.key, Object.keys(lock.tasks)),
    );
  }
  // Readable and of this origin: the lock `readLockQuietly` would return.
  return { task: { taskId: entry.id, key: ref.key }, keys: keysByTaskId(lock) };
}

/**
 * Task id → key for display (tables show keys instead of ids). Best effort: without a readable lockfile of this
 * origin the ids are shown as they are.
 */
export async function readTaskKeys(ctx: RuntimeContext): Promise<Map<string, string>> {
  return keysByTaskId(await readLockQuietly(ctx));
}

async function readLockQuietly(ctx: RuntimeContext): Promise<Lockfile | null> {
  try {
    const lock = await readLockfile(ctx.workspace.lockfilePath);
    return lock !== null && sameOrigin(lock.origin, ctx.origin) ? lock : null;
  } catch {
    return null; // a damaged lockfile is reported by the commands that depend on it, not by a display nicety
  }
}

function keysByTaskId(lock: Lockfile | null): Map<string, string> {
  return new Map(lock === null ? [] : Object.entries(lock.tasks).map(([key, entry]) => [entry.id, key]));
}

function assertSameOrigin(ctx: RuntimeContext, lock: Lockfile): void {
  if (sameOrigin(lock.origin, ctx.origin)) return;
  throw new RefusedError(
    `${displayPath(ctx, ctx.workspace.lockfilePath)} belongs to ${lock.origin}, but this command talks to ${ctx.origin}: ` +
      'its task ids mean nothing there.',
    lock.origin === 'local:'
      ? 'That workspace was applied with --local: add --local.'
      : `Point titan at ${lock.origin} (TITAN_API_URL or --api-url), or address the task by id with --task-id ID.`,
  );
}

function unknownKeyHint(key: string, known: readonly string[]): string {
  const close = known.filter((candidate) => editDistance(candidate, key) <= 2);
  const didYouMean = close.length > 0 ? `Did you mean ${close.map((k) => `"${k}"`).join(' or ')}? ` : '';
  const listing =
    known.length === 0
      ? 'The lockfile manages no task yet.'
      : `It manages ${known.length} task${known.length === 1 ? '' : 's'} (see \`titan state list\`).`;
  return `${didYouMean}${listing} A key gets there when \`titan apply\` creates or adopts its task.`;
}

function displayPath(ctx: RuntimeContext, file: string): string {
  const relative = path.relative(ctx.cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Levenshtein distance, for "did you mean": keys are short. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
