/** `--target` and `--replace` applied to the planned changes: which changes a plan keeps, and what to warn about. */
import { InvalidInputError } from '../errors.js';
import { compareStrings } from '../json.js';
import type { DesiredTask } from '../model.js';
import type { Identity } from './identity.js';
import type { PlannedChange } from './model.js';
import { matchesAnyTarget, type TargetSelector } from './selector.js';

/** `--replace` may only name keys the manifests declare (else invalid input, exit 3). */
export function assertReplaceKeys(desired: readonly DesiredTask[], replace: readonly string[]): void {
  const keys = new Set(desired.map((task) => task.key));
  const unknown = [...replace].sort(compareStrings).find((key) => !keys.has(key));
  if (unknown !== undefined) {
    throw new InvalidInputError(
      `--replace ${unknown}: no manifest declares the key "${unknown}".`,
      'Name the metadata.name of a task in the manifests.',
    );
  }
}

/** The changes a targeted plan keeps (all without targets); a selector that matches nothing is worth a warning. */
export function selectTargets(
  changes: PlannedChange[],
  targets: TargetSelector[],
  desired: DesiredTask[],
  warnings: string[],
): PlannedChange[] {
  if (targets.length === 0) return changes;
  const labels = new Map(desired.map((task) => [task.key, task.labels]));
  const matches = (selectors: TargetSelector[], change: PlannedChange): boolean =>
    matchesAnyTarget(selectors, change.key, labels.get(change.key)) ||
    (change.from_key !== undefined && matchesAnyTarget(selectors, change.from_key, undefined));
  for (const selector of targets) {
    if (!changes.some((change) => matches([selector], change))) {
      warnings.push(`--target ${selector.text} matched no task.`);
    }
  }
  return changes.filter((change) => matches(targets, change));
}

/**
 * `--replace KEY` with a `--target` that leaves KEY out replaces nothing: say so rather than ignore it. A key not
 * managed yet already has its own warning.
 */
export function warnUnselectedReplacements(
  selected: PlannedChange[],
  replace: Set<string>,
  targets: TargetSelector[],
  managed: Identity['entries'],
  warnings: string[],
): void {
  if (targets.length === 0) return;
  const planned = new Set(selected.map((change) => change.key));
  for (const key of [...replace].sort(compareStrings)) {
    if (planned.has(key) || !managed.has(key)) continue;
    warnings.push(
      `--replace ${key} is ignored: --target ${targets.map((t) => t.text).join(', --target ')} does not select it. ` +
        `Add --target ${key} to replace it.`,
    );
  }
}
