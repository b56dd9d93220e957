/**
 * `titan destroy [paths]`: plan and apply the deletion of every task the workspace's lock manages.
 *
 * Guards: confirmation as for apply; protected tasks are refused (exit 4) until `protect: false` has been
 * applied; emptying the workspace is what destroy means, so only the count guard of the mass-delete rule stays —
 * deleting more than max(10, 10 % of managed) tasks needs `--allow-mass-delete`.
 */
import path from 'node:path';
import { RefusedError } from '../core/errors.js';
import type { LiveTask } from '../core/model.js';
import { massDeleteLimit, planChanges } from '../core/plan/planner.js';
import { assertLockOrigin, readLockfile } from '../io/lockfile.js';
import { applyPlan, type ApplyDeps, type ApplyOptions, type PlanSource } from './apply.js';
import { toPosix } from './paths.js';
import { assertPlanAllowed } from './plan.js';

export type DestroyOptions = Pick<
  ApplyOptions,
  | 'autoApprove'
  | 'parallelism'
  | 'continueOnError'
  | 'verify'
  | 'lockTimeoutMs'
  | 'allowMassDelete'
  | 'allowForeignOrigin'
>;

export async function runDestroy(deps: ApplyDeps, options: DestroyOptions): Promise<void> {
  const source: PlanSource = (d) => prepareDestroyPlan(d, options);
  await applyPlan(deps, { ...options, verifyPlan: source }, 'destroy', source);
}

async function prepareDestroyPlan(deps: ApplyDeps, options: DestroyOptions) {
  const lock = await readLockfile(deps.workspace.lockfilePath);
  assertLockOrigin(lock, deps.origin, options.allowForeignOrigin);
  const live = new Map<string, LiveTask>();
  for (const task of await deps.client.listAllTasks()) live.set(task.id, task);
  const plan = planChanges([], [...live.values()], lock, {
    origin: deps.origin,
    allowMassDelete: true,
    lockFileBase: toPosix(path.relative(deps.cwd, deps.workspace.root)),
  });
  assertPlanAllowed(plan);
  const deletes = plan.changes.filter((change) => change.action === 'delete' && !change.vanished).length;
  const limit = massDeleteLimit(plan.managed);
  if (deletes > limit && !options.allowMassDelete) {
    throw new RefusedError(
      `Refusing to destroy ${deletes} tasks without --allow-mass-delete (the limit is ${limit}); nothing was deleted.`,
      'Check that this is the workspace you mean, then run again with --allow-mass-delete.',
    );
  }
  return {
    plan,
    desired: new Map(),
    live,
    lock,
    workspace: deps.workspace,
    diagnostics: [],
    sources: new Map(),
  };
}
