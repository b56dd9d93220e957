/** What a plan says about its changes as a whole: fingerprints for staleness, the summary, the refusals. */
import { roundRunsData } from './cron.js';
import type { Identity } from './identity.js';
import {
  CHANGE_ACTIONS,
  isDestructive,
  type ChangeAction,
  type PlannedChange,
  type PlanRefusal,
  type PlanSummary,
  type TaskFingerprint,
} from './model.js';

/** Mass-delete guard threshold: more than this many deletes needs `--allow-mass-delete`. */
export const massDeleteLimit = (managed: number): number => Math.max(10, Math.floor(managed / 10));

export function fingerprintsOf(changes: PlannedChange[], identity: Identity): TaskFingerprint[] {
  const out: TaskFingerprint[] = [];
  for (const change of changes) {
    if (change.action === 'noop' || change.id === undefined || change.vanished) continue;
    const live = identity.liveById.get(change.id);
    if (live !== undefined) out.push({ key: change.key, id: live.id, updated_at: live.updated_at });
  }
  return out;
}

export function summarize(changes: PlannedChange[], runsDelta: Map<PlannedChange, number>): PlanSummary {
  const counts = Object.fromEntries(CHANGE_ACTIONS.map((action) => [action, 0])) as Record<
    ChangeAction,
    number
  >;
  let breaking = 0;
  for (const change of changes) {
    counts[change.action] += 1;
    breaking += change.fields.filter((field) => field.compatibility === 'breaking').length;
  }
  return {
    ...counts,
    breaking,
    runs_per_day_delta: roundRunsData(changes.reduce((sum, change) => sum + (runsDelta.get(change) ?? 0), 0)),
    drifted: changes.filter((change) => change.drift).length,
    vanished: changes.filter((change) => change.vanished).length,
  };
}

export function refusalsOf(
  changes: PlannedChange[],
  managed: number,
  allowMassDelete: boolean,
): PlanRefusal[] {
  const refusals: PlanRefusal[] = [];
  const protectedChanges = changes.filter((change) => change.protect && isDestructive(change));
  if (protectedChanges.length > 0) {
    const verb = protectedChanges.every((c) => c.action === 'replace') ? 'replace' : 'delete';
    refusals.push({
      reason: 'protected',
      keys: protectedChanges.map((change) => change.key),
      message: `Refusing to ${verb} protected task${protectedChanges.length > 1 ? 's' : ''}: ${protectedChanges.map((c) => `${c.key} (${c.id})`).join(', ')}.`,
      hint:
        'A task with protect: true (kept in titan.lock even after its manifest is removed) is never deleted or replaced. ' +
        'To do it: set protect: false in its manifest (restore the manifest if you removed it), run titan apply, then make the change.',
    });
  }
  const deletes = changes.filter((change) => change.action === 'delete' && !change.vanished);
  const limit = massDeleteLimit(managed);
  const remaining =
    managed -
    changes.filter((change) => change.action === 'delete').length +
    changes.filter((change) => change.action === 'create' && !change.vanished).length +
    changes.filter((change) => change.action === 'adopt' && !change.vanished).length;
  const empties = deletes.length > 0 && remaining <= 0;
  if (!allowMassDelete && (deletes.length > limit || empties)) {
    refusals.push({
      reason: 'mass-delete',
      keys: deletes.map((change) => change.key),
      message: empties
        ? `Refusing to delete every managed task (${deletes.length}): the plan would empty the workspace.`
        : `Refusing to delete ${deletes.length} of ${managed} managed tasks (the limit without --allow-mass-delete is ${limit}).`,
      hint:
        'If the manifests were not found, check the paths given to titan. ' +
        'If the deletions are intended, run again with --allow-mass-delete.',
    });
  }
  return refusals;
}
