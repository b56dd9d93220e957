/**
 * Is a saved plan still the plan? Pure: compares the saved plan with a fresh one made from the same manifest
 * paths and options, and the fingerprints of the tasks it touches with a fresh listing. Any difference makes the
 * saved plan stale; `apply` then refuses it before any write.
 */
import { deepEqual } from '../core/json.js';
import type { LiveTask } from '../core/model.js';
import type { Plan, PlannedChange } from '../core/plan/model.js';

export interface SavedPlanCheck {
  /** One line per reason the saved plan is stale (empty: it is current). */
  problems: string[];
  /** Keys with a fresh change the saved plan does not have (left for the next plan). */
  extra: string[];
}

export function checkSavedPlan(
  saved: Plan,
  fresh: Plan,
  live: ReadonlyMap<string, LiveTask>,
): SavedPlanCheck {
  const problems: string[] = [];
  problems.push(...lockProblems(saved.lock, fresh.lock));
  for (const fingerprint of saved.fingerprints) {
    const task = live.get(fingerprint.id);
    if (task === undefined)
      problems.push(`task ${fingerprint.key} (${fingerprint.id}) was deleted on the service`);
    else if (task.updated_at !== fingerprint.updated_at) {
      problems.push(
        `task ${fingerprint.key} (${fingerprint.id}) was changed on the service (updated_at ${fingerprint.updated_at} → ${task.updated_at})`,
      );
    }
  }
  const freshByKey = new Map(fresh.changes.filter(isChange).map((change) => [change.key, change]));
  for (const change of saved.changes.filter(isChange)) {
    const now = freshByKey.get(change.key);
    freshByKey.delete(change.key);
    const problem = changeProblem(change, now);
    if (problem !== undefined) problems.push(problem);
  }
  return { problems, extra: [...freshByKey.keys()] };
}

const isChange = (change: PlannedChange): boolean => change.action !== 'noop';

function lockProblems(saved: Plan['lock'], fresh: Plan['lock']): string[] {
  if (saved === null && fresh === null) return [];
  if (saved === null) return ['titan.lock was created since the plan was made (another apply ran)'];
  if (fresh === null) return ['titan.lock was removed since the plan was made'];
  if (saved.lineage !== fresh.lineage) {
    return [`titan.lock is another lineage (${fresh.lineage}, the plan was made from ${saved.lineage})`];
  }
  if (saved.serial !== fresh.serial) {
    return [
      `titan.lock changed since the plan was made (serial ${saved.serial} → ${fresh.serial}: another apply ran)`,
    ];
  }
  return [];
}

function changeProblem(saved: PlannedChange, now: PlannedChange | undefined): string | undefined {
  if (now === undefined) return `${saved.key}: the planned ${saved.action} is no longer needed`;
  if (now.action !== saved.action)
    return `${saved.key}: planned ${saved.action}, but it now needs ${now.action}`;
  if (now.id !== saved.id || now.from_key !== saved.from_key) return `${saved.key}: now acts on another task`;
  if (!deepEqual(now.after, saved.after) || now.protect !== saved.protect) {
    return `${saved.key}: its manifest changed since the plan was made`;
  }
  return undefined;
}
