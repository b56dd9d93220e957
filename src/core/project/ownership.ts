/**
 * Ownership across the workspaces of a project: a task id recorded in a workspace's lockfile belongs to that
 * workspace. No other workspace adopts, imports, updates or deletes it. Pure: lockfiles in, verdicts out.
 *
 * Ids are only compared between lockfiles of the same origin (one service's ids mean nothing on another); `local:`
 * lockfiles never are, because each `--local` workspace has its own emulator. Two lockfiles of one lineage are a
 * copy (a workspace folder copied with its titan.lock): neither may write until the copy starts its own lineage,
 * because each would otherwise delete or change the other's tasks. The same id in two lockfiles is refused alike.
 */
import { compareStrings } from '../json.js';
import type { Lockfile } from '../lock/model.js';
import type { LiveTask } from '../model.js';
import type { PlannedChange } from '../plan/model.js';

export interface WorkspaceLock {
  /** Display path of the workspace (relative to the project root). */
  workspace: string;
  lock: Lockfile;
}

export interface Ownership {
  /** Ids other workspaces of the project manage, with the owner's display path. */
  foreign: Map<string, string>;
  /** Why this workspace must not write (a copied lockfile, an id two lockfiles claim); empty when it may. */
  conflicts: string[];
}

const LOCAL_ORIGIN = 'local:';

export function ownershipOf(
  self: string,
  origin: string,
  own: Lockfile | null,
  others: readonly WorkspaceLock[],
): Ownership {
  const foreign = new Map<string, string>();
  const conflicts: string[] = [];
  if (origin === LOCAL_ORIGIN) return { foreign, conflicts };
  const ownIds = new Map(Object.entries(own?.tasks ?? {}).map(([key, entry]) => [entry.id, key]));
  for (const other of [...others].sort((a, b) => compareStrings(a.workspace, b.workspace))) {
    if (other.workspace === self) continue;
    if (own !== null && other.lock.lineage === own.lineage) {
      conflicts.push(
        `${join(self)} and ${join(other.workspace)} hold the same lockfile lineage (${own.lineage}): one is a copy of the other.`,
      );
    }
    if (other.lock.origin !== origin) continue;
    const shared: string[] = [];
    for (const entry of Object.values(other.lock.tasks)) {
      if (!foreign.has(entry.id)) foreign.set(entry.id, other.workspace);
      const key = ownIds.get(entry.id);
      if (key !== undefined) shared.push(`${key} (${entry.id})`);
    }
    if (shared.length > 0 && (own === null || other.lock.lineage !== own.lineage)) {
      conflicts.push(
        `${join(self)} and ${join(other.workspace)} both manage ${shared.sort(compareStrings).join(', ')}.`,
      );
    }
  }
  return { foreign, conflicts };
}

const join = (workspace: string): string => (workspace === '.' ? './titan.lock' : `${workspace}/titan.lock`);

/** How to get out of an ownership conflict, for the refusal's hint. */
export const OWNERSHIP_HINT =
  'A task belongs to one workspace. If a workspace folder was copied with its titan.lock, delete the copy’s ' +
  'titan.lock (the tasks stay the original’s) and plan it again; if a task really moved, remove it from one ' +
  'lockfile with titan state rm KEY there.';

/**
 * Creates whose manifest matches (by Titan name) a task another workspace owns get a warning naming the owner: the
 * task is not adopted — it is another workspace's — and a new one would be created beside it.
 */
export function noteForeignTwins(
  changes: readonly PlannedChange[],
  live: readonly LiveTask[],
  foreign: ReadonlyMap<string, string>,
): void {
  if (foreign.size === 0) return;
  const byName = new Map<string, LiveTask[]>();
  for (const task of live) {
    if (!foreign.has(task.id) || task.status === 'deleted') continue;
    const group = byName.get(task.name);
    if (group) group.push(task);
    else byName.set(task.name, [task]);
  }
  for (const change of changes) {
    if (change.action !== 'create' || change.after === undefined) continue;
    const twin = byName.get(change.after.name)?.[0];
    if (twin === undefined) continue;
    change.warnings.push(
      `task ${twin.id} with the same name is owned by workspace ${foreign.get(twin.id) as string}; ` +
        'it is not adopted here, and apply would create another task.',
    );
  }
}
