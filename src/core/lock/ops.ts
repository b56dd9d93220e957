/**
 * Pure lock arithmetic: every change to a `Lockfile` is a function from the old value to a new one. The serial
 * moves only when the content changed, so a no-op apply leaves `titan.lock` byte-identical.
 */
import { deepEqual, stableStringify } from '../json.js';
import { LOCK_FORMAT_VERSION, type LockEntry, type Lockfile } from './model.js';

/** A fresh, empty lock for `origin`. The lineage is passed in (uuid generation is an effect). */
export const emptyLock = (origin: string, lineage: string): Lockfile => ({
  version: LOCK_FORMAT_VERSION,
  lineage,
  serial: 0,
  origin,
  tasks: {},
});

/** The lockfile's bytes: sorted keys at every depth, 2-space indent, trailing newline. */
export const renderLockfile = (lock: Lockfile): string => `${stableStringify(lock, 2)}\n`;

/** Same managed tasks and origin (lineage/serial ignored). */
const sameLockContent = (a: Lockfile, b: Lockfile): boolean =>
  a.origin === b.origin && deepEqual(a.tasks, b.tasks);

/**
 * The lock to write after `next` was derived from `base` (the version on disk): `base` itself when nothing
 * changed, else `next` with the serial one above `base`'s.
 */
export function commitLock(base: Lockfile, next: Lockfile): Lockfile {
  if (sameLockContent(base, next)) return base;
  return { ...next, lineage: base.lineage, serial: base.serial + 1 };
}

export function setEntry(lock: Lockfile, key: string, entry: LockEntry): Lockfile {
  return { ...lock, tasks: { ...lock.tasks, [key]: entry } };
}

export function removeEntry(lock: Lockfile, key: string): Lockfile {
  if (!(key in lock.tasks)) return lock;
  const tasks = { ...lock.tasks };
  delete tasks[key];
  return { ...lock, tasks };
}

/** Renames `from` to `to`, keeping the entry. The caller checks that `from` exists and `to` does not. */
export function moveEntry(lock: Lockfile, from: string, to: string): Lockfile {
  const entry = lock.tasks[from];
  if (entry === undefined || from === to) return lock;
  return setEntry(removeEntry(lock, from), to, entry);
}

/** The key whose entry holds remote `id`, if any. */
export function keyOfId(lock: Lockfile, id: string): string | undefined {
  return Object.keys(lock.tasks).find((key) => lock.tasks[key]?.id === id);
}

/** Every remote id the lock manages. */
export const managedIds = (lock: Lockfile | null): Set<string> =>
  new Set(lock === null ? [] : Object.values(lock.tasks).map((entry) => entry.id));
