/**
 * Three-way merge of two lockfiles against their common base, entry by entry: what `titan state merge` (the git
 * merge driver for `titan.lock`) computes. Two branches that each applied different tasks of one workspace
 * merge cleanly; the serial becomes one above both sides, so a plan saved on either side is stale afterwards.
 *
 * A real conflict — the same key changed differently on both sides, two lineages, two origins, or one task id
 * ending up under two keys — is never resolved by guessing: the result then is a text holding git's conflict
 * markers around exactly the lines in question (everything else merged), which git shows as conflicted.
 */
import { diffLines } from 'diff';
import { compareStrings, deepEqual } from '../json.js';
import type { LockEntry, Lockfile } from './model.js';
import { renderLockfile } from './ops.js';

export type LockConflict =
  | { kind: 'lineage'; ours: string; theirs: string }
  | { kind: 'origin'; base?: string; ours: string; theirs: string }
  /** Absent sides (`undefined`) mean the entry was removed there (or never existed). */
  | { kind: 'entry'; key: string; base?: LockEntry; ours?: LockEntry; theirs?: LockEntry }
  /** After merging, one remote id is recorded under several keys: titan would manage one task twice. */
  | { kind: 'duplicate-id'; id: string; keys: string[] };

export type LockMerge =
  | { ok: true; lock: Lockfile }
  | {
      ok: false;
      conflicts: LockConflict[];
      /** The merged lockfile with git conflict markers around what conflicts: what the driver leaves. */
      text: string;
    };

export interface ConflictLabels {
  ours: string;
  theirs: string;
}

/** Labels on the markers; the lockfile reader recognises them to say how to resolve this kind of conflict. */
export const DEFAULT_LABELS: ConflictLabels = {
  ours: 'ours (titan state merge)',
  theirs: 'theirs (titan state merge)',
};

/** `base` is null when the two sides have no common version (both created the lockfile). */
export function mergeLocks(
  base: Lockfile | null,
  ours: Lockfile,
  theirs: Lockfile,
  labels: ConflictLabels = DEFAULT_LABELS,
): LockMerge {
  const serial = Math.max(ours.serial, theirs.serial) + 1;
  if (ours.lineage !== theirs.lineage) {
    // Two independent histories: their ids may describe different tasks under the same keys. Nothing to merge.
    return {
      ok: false,
      conflicts: [{ kind: 'lineage', ours: ours.lineage, theirs: theirs.lineage }],
      text: renderWithMarkers(renderLockfile(ours), renderLockfile(theirs), labels),
    };
  }
  const conflicts: LockConflict[] = [];
  const origin = mergeValue(base?.origin, ours.origin, theirs.origin);
  if (origin === CONFLICT) {
    conflicts.push({
      kind: 'origin',
      ...(base ? { base: base.origin } : {}),
      ours: ours.origin,
      theirs: theirs.origin,
    });
  }

  const tasks: Record<string, LockEntry> = {};
  const conflicted = new Set<string>();
  for (const key of unionOfKeys(base?.tasks, ours.tasks, theirs.tasks)) {
    const [b, o, t] = [base?.tasks[key], ours.tasks[key], theirs.tasks[key]];
    const merged = mergeValue(b, o, t);
    if (merged === CONFLICT) {
      conflicted.add(key);
      conflicts.push({ kind: 'entry', key, ...present({ base: b, ours: o, theirs: t }) });
    } else if (merged !== undefined) {
      tasks[key] = merged;
    }
  }
  for (const [id, keys] of duplicateIds(tasks)) {
    conflicts.push({ kind: 'duplicate-id', id, keys });
    for (const key of keys) conflicted.add(key);
  }

  const lockWith = (side: Lockfile): Lockfile => ({
    ...side,
    serial,
    origin: origin === CONFLICT ? side.origin : (origin ?? side.origin),
    tasks: resolveWith(tasks, conflicted, side.tasks),
  });
  if (conflicts.length === 0) return { ok: true, lock: lockWith(ours) };
  return {
    ok: false,
    conflicts,
    text: renderWithMarkers(renderLockfile(lockWith(ours)), renderLockfile(lockWith(theirs)), labels),
  };
}

const CONFLICT = Symbol('conflict');

/** The classic three-way rule: a side that did not change yields to the one that did; equal changes agree. */
function mergeValue<T>(
  base: T | undefined,
  ours: T | undefined,
  theirs: T | undefined,
): T | undefined | typeof CONFLICT {
  if (deepEqual(ours, theirs)) return ours;
  if (deepEqual(base, ours)) return theirs;
  if (deepEqual(base, theirs)) return ours;
  return CONFLICT;
}

function unionOfKeys(...records: (Record<string, unknown> | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const record of records) for (const key of Object.keys(record ?? {})) keys.add(key);
  return [...keys].sort(compareStrings);
}

function present(sides: Record<'base' | 'ours' | 'theirs', LockEntry | undefined>): Partial<typeof sides> {
  return Object.fromEntries(Object.entries(sides).filter(([, entry]) => entry !== undefined));
}

function duplicateIds(tasks: Record<string, LockEntry>): [string, string[]][] {
  const byId = new Map<string, string[]>();
  for (const [key, entry] of Object.entries(tasks)) byId.set(entry.id, [...(byId.get(entry.id) ?? []), key]);
  return [...byId].filter(([, keys]) => keys.length > 1);
}

/** The merged entries, with each conflicted key as `side` has it (or absent when `side` has none). */
function resolveWith(
  merged: Record<string, LockEntry>,
  conflicted: ReadonlySet<string>,
  side: Record<string, LockEntry>,
): Record<string, LockEntry> {
  const tasks = { ...merged };
  for (const key of conflicted) {
    const entry = side[key];
    if (entry === undefined) delete tasks[key];
    else tasks[key] = entry;
  }
  return tasks;
}

/**
 * Git's conflict layout for two texts that differ only in a few places: the common lines once, each differing
 * run as `<<<<<<< ours`, ours's lines, `=======`, theirs's lines, `>>>>>>> theirs`.
 */
export function renderWithMarkers(ours: string, theirs: string, labels: ConflictLabels): string {
  const out: string[] = [];
  let pending: { ours: string; theirs: string } | null = null;
  const flush = (): void => {
    if (pending === null) return;
    out.push(`<<<<<<< ${labels.ours}\n${pending.ours}=======\n${pending.theirs}>>>>>>> ${labels.theirs}\n`);
    pending = null;
  };
  for (const part of diffLines(ours, theirs)) {
    if (!part.added && !part.removed) {
      flush();
      out.push(part.value);
      continue;
    }
    pending ??= { ours: '', theirs: '' };
    if (part.removed) pending.ours += part.value;
    else pending.theirs += part.value;
  }
  flush();
  return out.join('');
}

/** A line starting with one of git's conflict markers (a lockfile git merged as text, or a conflict left here). */
const MARKER_LINE = /^(?:<{7}|={7}|>{7})(?: |$)/m;

export const hasConflictMarkers = (text: string): boolean => MARKER_LINE.test(text);

/** Whether the markers are the ones `mergeLocks` leaves (a real conflict), not a text merge by git. */
export const hasTitanConflictMarkers = (text: string): boolean =>
  text.includes(`<<<<<<< ${DEFAULT_LABELS.ours}\n`);
