/**
 * Checks across documents and files: keys unique in the workspace (every place reported), previous names not
 * colliding with a key or with another task's previous name. Linear in the number of tasks, whatever the input
 * (12,000 copies of one key make 12,000 short messages, not 12,000 lists of 12,000 places). Pure.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import type { TaskIdentity } from './document.js';

const where = (at: SourceLocation): string => `${at.file}:${at.line}`;

/** Places listed in one message; the rest are counted. */
const LISTED = 3;

/** `a, b, c and 4 more`: a list that stays short whatever its length. */
export function listSome(items: readonly string[], max = LISTED): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** The places of `owners` other than `self` (which is one of them): the first few, then a count. */
function otherPlaces<T>(owners: readonly T[], self: T, at: (owner: T) => SourceLocation): string {
  const shown: string[] = [];
  for (const owner of owners) {
    if (shown.length === LISTED) break;
    if (owner !== self) shown.push(where(at(owner)));
  }
  const others = owners.length - 1;
  return others > shown.length ? `${shown.join(', ')} and ${others - shown.length} more` : shown.join(', ');
}

function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export function checkIdentities(identities: readonly TaskIdentity[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byKey = groupBy(identities, (identity) => identity.key);
  for (const [key, owners] of byKey) {
    if (owners.length < 2) continue;
    for (const owner of owners) {
      out.push({
        code: Code.taskKeyDuplicate,
        severity: 'error',
        message: `task key ${quote(key)} is defined more than once (also at ${otherPlaces(owners, owner, (o) => o.at)})`,
        hint: 'metadata.name is the task identity and must be unique across the workspace; rename one of them',
        ...owner.at,
        path: '/metadata/name',
      });
    }
  }
  checkPreviousNames(identities, byKey, out);
  return out;
}

interface PreviousName {
  identity: TaskIdentity;
  name: string;
  at: SourceLocation;
  index: number;
}

function checkPreviousNames(
  identities: readonly TaskIdentity[],
  byKey: Map<string, TaskIdentity[]>,
  out: Diagnostic[],
): void {
  const all: PreviousName[] = identities.flatMap((identity) =>
    identity.previousNames.map((previous) => ({ identity, ...previous })),
  );
  const byName = groupBy(all, (previous) => previous.name);
  for (const previous of all) {
    const report = (message: string, hint: string): void => {
      out.push({
        code: Code.previousNameConflict,
        severity: 'error',
        message: `metadata.previousNames[${previous.index}] ${quote(previous.name)} ${message}`,
        hint,
        ...previous.at,
        path: `/metadata/previousNames/${previous.index}`,
      });
    };
    const current = byKey.get(previous.name)?.[0];
    if (previous.name === previous.identity.key) {
      report("is this task's own key", 'remove it: a task cannot be renamed to itself');
    } else if (current) {
      report(
        `is the key of another task (${where(current.at)})`,
        'a previous name must not be in use, or titan could not tell which task to move',
      );
    }
    const claims = byName.get(previous.name) ?? [previous];
    const other = claims.find((claim) => claim.identity !== previous.identity);
    if (other) {
      report(
        `is also a previous name of task ${quote(other.identity.key)} (${otherPlaces(claims, previous, (c) => c.at)})`,
        'only one task can take over a previous name',
      );
    }
  }
}
