/**
 * `titan state merge`: the git merge driver for `titan.lock`, and the same merge run by hand on a lockfile git
 * left conflicted. The merge itself is pure (`core/lock/merge.ts`); this module reads the three versions, writes
 * the result over "ours" (what git expects of a driver) and says what conflicted.
 */
import { RefusedError } from '../core/errors.js';
import { mergeLocks, type LockConflict } from '../core/lock/merge.js';
import type { LockEntry } from '../core/lock/model.js';
import { renderLockfile } from '../core/lock/ops.js';
import { parseLockfile } from '../io/lockfile.js';

/** The three versions of one lockfile. `base` is null or empty when the sides share no version. */
export interface MergeInputs {
  base: string | null;
  ours: string;
  theirs: string;
  /** How messages name the lockfile (git's `%P`, or the path given). */
  display: string;
}

export interface StateMergeDeps {
  /** Replaces the lockfile with the merge result (atomically). */
  writeResult: (text: string) => Promise<void>;
}

export interface MergeOutcome {
  serial: number;
  entries: number;
}

/** Merges; on a conflict writes the marked file and throws RefusedError (exit 4) describing each conflict. */
export async function stateMerge(deps: StateMergeDeps, inputs: MergeInputs): Promise<MergeOutcome> {
  const base =
    inputs.base === null || inputs.base.trim() === ''
      ? null
      : parseLockfile(inputs.base, `${inputs.display} (common ancestor)`);
  const ours = parseLockfile(inputs.ours, `${inputs.display} (ours)`);
  const theirs = parseLockfile(inputs.theirs, `${inputs.display} (theirs)`);
  const result = mergeLocks(base, ours, theirs);
  if (result.ok) {
    await deps.writeResult(renderLockfile(result.lock));
    return { serial: result.lock.serial, entries: Object.keys(result.lock.tasks).length };
  }
  await deps.writeResult(result.text);
  const count = result.conflicts.length;
  throw new RefusedError(
    `${inputs.display}: ${count === 1 ? 'a conflict' : `${count} conflicts`} titan cannot merge on its own:\n` +
      result.conflicts.map((conflict) => `  - ${describeConflict(conflict)}`).join('\n'),
    conflictHint(result.conflicts, inputs.display),
  );
}

/** One line per conflict, naming the key and both sides' task ids, so a reviewer can decide without the file. */
export function describeConflict(conflict: LockConflict): string {
  switch (conflict.kind) {
    case 'lineage':
      return `the two sides are different lockfiles (lineage ${conflict.ours} here, ${conflict.theirs} on the other side): they were created separately`;
    case 'origin':
      return `the API origin changed on both sides: ${conflict.ours} here, ${conflict.theirs} on the other side`;
    case 'duplicate-id':
      return `task ${conflict.id} would be recorded under several keys (${conflict.keys.join(', ')}): each side renamed or adopted it differently`;
    case 'entry':
      return `${conflict.key} changed on both sides: ${sideOf(conflict.ours)} here, ${sideOf(conflict.theirs)} on the other side${conflict.base ? ` (was ${sideOf(conflict.base)})` : ''}`;
  }
}

function sideOf(entry: LockEntry | undefined): string {
  if (entry === undefined) return 'removed';
  return `task ${entry.id} from ${entry.file} (digest ${entry.digest.replace(/^sha256:/, '').slice(0, 12)}…)`;
}

function conflictHint(conflicts: readonly LockConflict[], display: string): string {
  const lines = [
    `${display} now holds conflict markers around exactly these entries; everything else is merged.`,
    'Keep one side of each <<<<<<< … >>>>>>> block (titan state show KEY on each branch shows its entry), then git add it.',
  ];
  if (conflicts.some((c) => c.kind === 'entry' && c.ours && c.theirs && c.ours.id !== c.theirs.id)) {
    lines.push(
      'Where the sides name different task ids, keep the one the merged manifest should manage; the other task stays on the service, unmanaged (titan plan lists it).',
    );
  }
  if (conflicts.some((c) => c.kind === 'lineage')) {
    lines.push(
      'Different lineages cannot be merged entry by entry: keep one whole file and titan import the other side’s tasks.',
    );
  }
  return lines.join('\n');
}
