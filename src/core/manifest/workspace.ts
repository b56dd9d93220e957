/**
 * Checks across documents and files: keys unique in the workspace (every place reported), previous names not
 * colliding with a key or with another task's previous name. Pure.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import type { TaskIdentity } from './document.js';

const where = (at: SourceLocation): string => `${at.file}:${at.line}`;

export function checkIdentities(identities: readonly TaskIdentity[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byKey = new Map<string, TaskIdentity[]>();
  for (const identity of identities) byKey.set(identity.key, [...(byKey.get(identity.key) ?? []), identity]);

  for (const [key, owners] of byKey) {
    if (owners.length < 2) continue;
    for (const owner of owners) {
      const others = owners.filter((o) => o !== owner).map((o) => where(o.at));
      out.push({
        code: Code.taskKeyDuplicate,
        severity: 'error',
        message: `task key ${quote(key)} is defined more than once (also at ${others.join(', ')})`,
        hint: 'metadata.name is the task identity and must be unique across the workspace; rename one of them',
        ...owner.at,
        path: '/metadata/name',
      });
    }
  }

  const previousOwners = new Map<string, { identity: TaskIdentity; at: SourceLocation }[]>();
  for (const identity of identities) {
    for (const previous of identity.previousNames) {
      previousOwners.set(previous.name, [
        ...(previousOwners.get(previous.name) ?? []),
        { identity, at: previous.at },
      ]);
    }
  }
  for (const identity of identities) {
    for (const previous of identity.previousNames) {
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
      if (previous.name === identity.key) {
        report("is this task's own key", 'remove it: a task cannot be renamed to itself');
      } else if (current) {
        report(
          `is the key of another task (${where(current.at)})`,
          'a previous name must not be in use, or titan could not tell which task to move',
        );
      }
      const sharers = (previousOwners.get(previous.name) ?? []).filter((o) => o.identity !== identity);
      if (sharers.length > 0) {
        report(
          `is also a previous name of task ${quote(sharers[0]?.identity.key ?? '')} (${sharers.map((s) => where(s.at)).join(', ')})`,
          'only one task can take over a previous name',
        );
      }
    }
  }
  return out;
}
