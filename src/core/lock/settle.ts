/**
 * Settling writes whose outcome the journal does not know (pure). A create is found by the adoption rule: a live
 * task, not managed by the lock and not already claimed, whose spec digest equals the one the intent recorded.
 * Updates are found by comparing the task's digest with the intended one; deletes by the task being gone.
 */
import type { LiveTask } from '../model.js';
import { appliedDigest } from '../plan/normalize.js';
import type { IntentRecord, LockOps } from './journal.js';
import type { LockEntry, Lockfile } from './model.js';
import { keyOfId, managedIds } from './ops.js';

export interface SettleResult {
  ops: LockOps;
  /** One line per intent, for the user: what was found. */
  notes: string[];
}

/**
 * Lock changes implied by `pending` intents, given a complete listing of the live tasks (`live`, full specs
 * for every task the caller could not rule out). A live task missing from `live` is gone.
 */
export function settlePendingIntents(
  pending: readonly IntentRecord[],
  lock: Lockfile,
  live: readonly LiveTask[],
): SettleResult {
  const byId = new Map(live.map((task) => [task.id, task]));
  const claimed = managedIds(lock);
  const set: Record<string, LockEntry> = {};
  const remove: string[] = [];
  const notes: string[] = [];
  for (const intent of [...pending].sort((a, b) => a.n - b.n)) {
    if (intent.op === 'create' && intent.entry !== undefined) {
      const { entry } = intent;
      // The digest covers the name (unless it is sensitive, when the intent has none): compare it first, cheaply.
      const found = live.find(
        (task) =>
          !claimed.has(task.id) &&
          task.spec !== undefined &&
          (intent.name === undefined || task.name === intent.name) &&
          appliedDigest(task.spec, entry.sensitive) === entry.digest,
      );
      if (found === undefined) {
        notes.push(`create of ${intent.key}: not on the service, so it did not happen`);
        continue;
      }
      claimed.add(found.id);
      set[intent.key] = { ...entry, id: found.id, updated_at: found.updated_at };
      if (intent.fromKey !== undefined && intent.fromKey !== intent.key) remove.push(intent.fromKey);
      notes.push(`create of ${intent.key}: found as ${found.id}, recorded (not created twice)`);
    } else if (intent.op === 'update' && intent.id !== undefined && intent.entry !== undefined) {
      const task = byId.get(intent.id);
      const { entry } = intent;
      if (task?.spec === undefined || appliedDigest(task.spec, entry.sensitive) !== entry.digest) {
        notes.push(`update of ${intent.key}: not applied; the next plan decides again`);
        continue;
      }
      const previousKey = keyOfId(lock, intent.id);
      if (previousKey !== undefined && previousKey !== intent.key) remove.push(previousKey);
      set[intent.key] = { ...entry, id: intent.id, updated_at: task.updated_at };
      notes.push(`update of ${intent.key}: applied, recorded`);
    } else if (intent.op === 'delete' && intent.id !== undefined) {
      if (byId.has(intent.id)) {
        notes.push(`delete of ${intent.key}: the task still exists; the next plan decides again`);
        continue;
      }
      if (lock.tasks[intent.key]?.id === intent.id) remove.push(intent.key);
      notes.push(`delete of ${intent.key}: done, recorded`);
    }
  }
  const ops: LockOps = {};
  if (Object.keys(set).length > 0) ops.set = set;
  if (remove.length > 0) ops.remove = remove.filter((key) => !(key in set));
  return { ops, notes };
}

/** Ids of live tasks whose full spec `settlePendingIntents` needs (list items that were summaries). */
export function tasksNeedingFullRead(
  pending: readonly IntentRecord[],
  lock: Lockfile,
  live: readonly LiveTask[],
): string[] {
  const managed = managedIds(lock);
  const updateIds = new Set(pending.filter((i) => i.op === 'update').map((i) => i.id));
  const createNames = new Set(pending.filter((i) => i.op === 'create').map((i) => i.name));
  return live
    .filter((task) => task.spec === undefined)
    .filter(
      (task) =>
        updateIds.has(task.id) ||
        (!managed.has(task.id) && (createNames.has(undefined) || createNames.has(task.name))),
    )
    .map((task) => task.id);
}
