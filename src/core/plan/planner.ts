/**
 * The planner: desired state (manifests), live state (the service) and the lock in; the one `Plan` out. Pure — no
 * I/O, no clock — so the same inputs always give the same plan.
 *
 * Identity rules (design.md §2, §6):
 * - a task is managed when its id is in the lock; only managed tasks are updated, replaced or deleted;
 * - a key missing from the lock whose `previousNames` hold a lock key is a **move** (the entry is re-keyed);
 * - a key without a lock entry is **adopted** when an unmanaged live task equals its spec exactly (the oldest such
 *   task, then the smallest id; each live task is adopted at most once), else **created**;
 * - a managed task whose id is gone from the service is recreated — or adopted, when an unmanaged task equals its
 *   manifest (what a crash or an older lockfile leaves behind) — and, when its manifest is gone too, only dropped
 *   from the lock; always with a warning;
 * - deleting a protected task, or more than max(10, 10 % of managed) tasks, or every managed task, is recorded as a
 *   refusal; callers refuse to apply such a plan unless the mass delete was explicitly allowed.
 */
import { compareStrings } from '../json.js';
import type { Lockfile } from '../lock/model.js';
import type { DesiredTask, LiveTask } from '../model.js';
import { planDelete, planManaged, planUnmanaged, type ChangeContext } from './changes.js';
import { noteForeignTwins } from '../project/ownership.js';
import { resolveIdentity } from './identity.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlannedChange } from './model.js';
import { fingerprintsOf, refusalsOf, summarize } from './outcome.js';
import { parseTargetSelector } from './selector.js';
import { assertReplaceKeys, selectTargets, warnUnselectedReplacements } from './targets.js';

// The pieces callers use next to planChanges, from the modules the planner is made of.
export { tasksNeedingFullRead } from './identity.js';
export { massDeleteLimit } from './outcome.js';
export { assertReplaceKeys } from './targets.js';

export interface PlanOptions {
  /** API origin the live tasks come from (recorded in the plan). */
  origin: string;
  /** `--replace KEY`: keys to delete and create again. */
  replace?: readonly string[];
  /** `--target SELECTOR`: limit the plan to matching tasks (see selector.ts). */
  targets?: readonly string[];
  /** `--allow-mass-delete`: lift the mass-delete guard (never the protect guard). */
  allowMassDelete?: boolean;
  /** Recorded in the plan so a saved plan can be re-checked; workspace-relative. */
  manifests?: { paths: string[]; files: string[] };
  /**
   * Prefix for the lock's workspace-relative manifest file names, so that a delete's `source.file` is relative to
   * the same folder as the manifests' `source.file` (usually the working directory). `/`-separated; '' by default.
   */
  lockFileBase?: string;
  /** Ids other workspaces of the project own, with the owner (see core/project/ownership.ts): never adopted. */
  foreign?: ReadonlyMap<string, string>;
}

/** Build the plan. Live tasks must carry `spec` for every id `tasksNeedingFullRead` names. */
export function planChanges(
  desired: readonly DesiredTask[],
  live: readonly LiveTask[],
  lock: Lockfile | null,
  options: PlanOptions,
): Plan {
  const identity = resolveIdentity(desired, live, lock, options.foreign);
  const targets = (options.targets ?? []).map(parseTargetSelector);
  const replace = new Set(options.replace ?? []);
  assertReplaceKeys(identity.desired, [...replace]);
  const warnings: string[] = [];

  const changes: PlannedChange[] = [];
  const context: ChangeContext = { identity, replace, adopted: new Set(), runsDelta: new Map() };
  for (const task of identity.desired) {
    const managed = identity.entries.get(task.key);
    if (managed !== undefined) {
      changes.push(planManaged(task, managed.lockKey, managed.entry, context));
    } else {
      if (replace.has(task.key)) {
        warnings.push(`--replace ${task.key}: the task is not managed yet, so there is nothing to replace.`);
      }
      changes.push(planUnmanaged(task, context));
    }
  }
  for (const [key, entry] of identity.orphans) {
    changes.push(planDelete(key, entry, options.lockFileBase ?? '', context));
  }
  changes.sort((a, b) => compareStrings(a.key, b.key));
  noteForeignTwins(changes, live, options.foreign ?? new Map());
  const selected = selectTargets(changes, targets, identity.desired, warnings);
  warnUnselectedReplacements(selected, replace, targets, identity.entries, warnings);

  const managedCount = Object.keys(lock?.tasks ?? {}).length;
  const liveIds = [...identity.liveById.keys()];
  return {
    format_version: PLAN_FORMAT_VERSION,
    origin: options.origin,
    lock: lock === null ? null : { lineage: lock.lineage, serial: lock.serial },
    manifests: options.manifests ?? { paths: [], files: [] },
    options: {
      targets: targets.map((selector) => selector.text),
      replace: [...replace].sort(compareStrings),
      allow_mass_delete: options.allowMassDelete === true,
    },
    changes: selected,
    fingerprints: fingerprintsOf(selected, identity),
    unmanaged: liveIds.filter(
      (id) => !identity.managedIds.has(id) && !context.adopted.has(id) && !options.foreign?.has(id),
    ).length,
    managed: managedCount,
    summary: summarize(selected, context.runsDelta),
    refusals: refusalsOf(selected, managedCount, options.allowMassDelete === true),
    warnings,
  };
}
