/**
 * Reading and writing `titan.lock` (design.md §4). Reads are schema-checked; writes are atomic (temp file, fsync,
 * rename, fsync of the folder), so the file on disk is always a complete old or new version.
 */
import { readFile } from 'node:fs/promises';
import type { ErrorObject } from 'ajv/dist/2020.js';
import { InvalidInputError, OperationalError, RefusedError } from '../core/errors.js';
import { hasConflictMarkers, hasTitanConflictMarkers } from '../core/lock/merge.js';
import { LOCK_FORMAT_VERSION, type Lockfile } from '../core/lock/model.js';
import { lockfileProblems } from '../core/lock/invariants.js';
import { renderLockfile } from '../core/lock/ops.js';
import { writeFileAtomic } from './files.js';
import { createLockfileValidator } from './validators.js';

const RECOVERY_HINT =
  'Restore it from git (git checkout -- titan.lock). If it is lost for good, delete it: the next apply adopts every ' +
  'live task that exactly equals its manifest instead of creating a duplicate.';

/** The lockfile at `lockfilePath`, or null when there is none yet. Corrupt → InvalidInputError (exit 3). */
export async function readLockfile(lockfilePath: string): Promise<Lockfile | null> {
  const text = await readLockfileText(lockfilePath);
  return text === null ? null : parseLockfile(text, lockfilePath);
}

async function readLockfileText(lockfilePath: string): Promise<string | null> {
  try {
    return await readFile(lockfilePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OperationalError(`Cannot read ${lockfilePath}: ${(error as Error).message}`);
  }
}

/**
 * Parses and schema-checks lockfile text, and checks the invariants the schema cannot express (one key per task
 * id, timestamps); `name` is used in messages.
 */
export function parseLockfile(text: string, name: string): Lockfile {
  const { lock, problems } = parseLockfileForRepair(text, name);
  if (problems.length > 0) {
    throw new InvalidInputError(
      `${name} is not a consistent titan lockfile: ${problems.slice(0, 5).join('; ')}` +
        `${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}.`,
      INVARIANT_HINT,
    );
  }
  return lock;
}

const INVARIANT_HINT =
  'A merge or a hand edit did this. Look at the entries named: keep the key whose manifest declares the task and ' +
  'forget the other with titan state rm KEY (the task stays on the service), or restore titan.lock from git ' +
  '(git checkout -- titan.lock).';

/** Like `parseLockfile`, but invariant problems are returned beside the lock (`titan state` repairs them). */
export async function readLockfileForRepair(
  lockfilePath: string,
): Promise<{ lock: Lockfile; problems: string[] } | null> {
  const text = await readLockfileText(lockfilePath);
  return text === null ? null : parseLockfileForRepair(text, lockfilePath);
}

/** Parses and schema-checks lockfile text; the invariants' problems are returned, not thrown. */
export function parseLockfileForRepair(text: string, name: string): { lock: Lockfile; problems: string[] } {
  if (hasConflictMarkers(text)) throw conflictMarkersError(text, name);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${name} is not valid JSON (${(error as Error).message}).`, RECOVERY_HINT);
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > LOCK_FORMAT_VERSION) {
    throw new InvalidInputError(
      `${name} has format version ${version}; this titan understands version ${LOCK_FORMAT_VERSION}.`,
      'Upgrade titan to the version that wrote it.',
    );
  }
  const validate = createLockfileValidator();
  if (!validate(data)) {
    const problems = (validate.errors ?? []).slice(0, 5).map(describeSchemaError).join('; ');
    throw new InvalidInputError(`${name} is not a valid titan lockfile: ${problems}.`, RECOVERY_HINT);
  }
  const lock = data as Lockfile;
  return { lock, problems: lockfileProblems(lock) };
}

/** A lockfile git left conflicted: say how to merge it, not that it is not JSON. */
function conflictMarkersError(text: string, name: string): InvalidInputError {
  if (hasTitanConflictMarkers(text)) {
    return new InvalidInputError(
      `${name} holds a conflict titan state merge could not resolve (the entries between <<<<<<< and >>>>>>>).`,
      'Keep one side of each marked block, then git add the file; titan plan then shows what remains to do.',
    );
  }
  return new InvalidInputError(
    `${name} holds git conflict markers (<<<<<<<): git merged it as text, without titan's merge driver.`,
    `Merge it entry by entry while git shows it conflicted: titan state merge ${name}\n` +
      "So that git does this itself next time: git config merge.titan.driver 'titan state merge %O %A %B %P'\n" +
      'and a .gitattributes line at the repository root: titan.lock merge=titan',
  );
}

/** One line for a schema error in a file titan writes (the lockfile, a saved plan). */
export function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'top level' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown property "${String(error.params.additionalProperty)}"`;
  }
  if (error.keyword === 'required') return `${where}: missing "${String(error.params.missingProperty)}"`;
  if (error.keyword === 'propertyNames') {
    return `${where}: ${JSON.stringify(String(error.params.propertyName).slice(0, 80))} is not a valid key`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

/**
 * Refuses (exit 4) a lock recorded for another API origin: its ids mean nothing there, and using it would
 * create every task again. `allowForeignOrigin` is the explicit "I moved the service" override.
 */
export function assertLockOrigin(lock: Lockfile | null, origin: string, allowForeignOrigin: boolean): void {
  if (lock === null || allowForeignOrigin) return;
  if (sameOrigin(lock.origin, origin)) return;
  throw new RefusedError(
    `titan.lock belongs to ${lock.origin}, but this run talks to ${origin}.`,
    `Point titan at ${lock.origin} (TITAN_API_URL or --api-url), or use a separate workspace for ${origin}. ` +
      'If the service really moved to the new address, pass --allow-foreign-origin.',
  );
}

/** Origins compare by scheme, host and port (case and a trailing slash do not matter). */
export function sameOrigin(a: string, b: string): boolean {
  return normalizeOrigin(a) === normalizeOrigin(b);
}

function normalizeOrigin(origin: string): string {
  if (!/^https?:\/\//i.test(origin)) return origin.toLowerCase();
  try {
    return new URL(origin).origin;
  } catch {
    return origin.toLowerCase();
  }
}

/** Writes the lockfile atomically in its stable format. */
export async function writeLockfile(lockfilePath: string, lock: Lockfile): Promise<void> {
  await writeFileAtomic(lockfilePath, renderLockfile(lock));
}
