/**
 * `titan state list|show|rm|mv`: inspect and repair the lockfile, offline. `rm` and `mv` rewrite it atomically
 * under the workspace lock and bump its serial; neither touches the service.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { InvalidInputError, RefusedError } from '../core/errors.js';
import { KEY_PATTERN } from '../core/lock/invariants.js';
import type { Lockfile } from '../core/lock/model.js';
import { commitLock, moveEntry, removeEntry } from '../core/lock/ops.js';
import { readPendingJournal } from '../io/journal.js';
import { readLockfileForRepair, writeLockfile } from '../io/lockfile.js';
import { acquireWorkspaceLock, type LockEnvironment } from '../io/workspace-lock.js';
import type { Workspace } from '../io/workspace.js';
import { renderKeyValues, renderTable } from '../render/table.js';
import { recoverWorkspace } from './apply-session.js';

export interface StateDeps {
  workspace: Workspace;
  stdout: Writable;
  stderr: Writable;
  lockEnvironment: LockEnvironment;
  now: () => Date;
  json: boolean;
  lockTimeoutMs: number;
}

/**
 * The lockfile, read for repair: `state` works on one that breaks the invariants (two keys on one task id after a
 * merge), so `state rm` can mend it; the problems are printed as warnings.
 */
async function readRequired(deps: StateDeps): Promise<Lockfile> {
  const read = await readLockfileForRepair(deps.workspace.lockfilePath);
  if (read === null) {
    throw new InvalidInputError(
      `There is no lockfile at ${deps.workspace.lockfilePath}.`,
      'Run titan apply first, or name the workspace with --workspace DIR.',
    );
  }
  for (const problem of read.problems) deps.stderr.write(`Warning: titan.lock: ${problem}.\n`);
  if (read.problems.length > 0) {
    deps.stderr.write(
      'Warning: plan and apply refuse this titan.lock until it is repaired: keep the key whose manifest declares ' +
        'each task and forget the other with titan state rm KEY.\n',
    );
  }
  return read.lock;
}

async function warnAboutJournal(deps: StateDeps): Promise<void> {
  const pending = await readPendingJournal(deps.workspace.stateDir);
  if (pending?.corrupt === true) deps.stderr.write(`Warning: ${pending.warning}\n`);
  else if (pending !== null) {
    deps.stderr.write(
      'Warning: an interrupted apply left a journal in .titan/; titan.lock does not show its writes until the next titan apply.\n',
    );
  }
}

export async function stateList(deps: StateDeps): Promise<void> {
  const lock = await readRequired(deps);
  await warnAboutJournal(deps);
  if (deps.json) {
    deps.stdout.write(`${JSON.stringify(lock.tasks, null, 2)}\n`);
    return;
  }
  const rows = Object.keys(lock.tasks)
    .sort()
    .map((key) => ({ key, entry: lock.tasks[key] as Lockfile['tasks'][string] }));
  if (rows.length === 0) {
    deps.stdout.write('titan.lock manages no tasks.\n');
    return;
  }
  deps.stdout.write(
    renderTable(
      [
        { header: 'KEY', value: (r) => r.key },
        { header: 'TASK ID', value: (r) => r.entry.id },
        { header: 'PROTECTED', value: (r) => (r.entry.protect ? 'yes' : '') },
        { header: 'MANIFEST', value: (r) => r.entry.file },
      ],
      rows,
    ),
  );
}

export async function stateShow(deps: StateDeps, key: string): Promise<void> {
  const lock = await readRequired(deps);
  const entry = lock.tasks[key] ?? unknownKey(lock, key);
  if (deps.json) {
    deps.stdout.write(`${JSON.stringify({ key, ...entry }, null, 2)}\n`);
    return;
  }
  deps.stdout.write(
    renderKeyValues([
      ['key', key],
      ['task id', entry.id],
      ['manifest', entry.file],
      ['protected', entry.protect ? 'yes' : 'no'],
      ['applied digest', entry.digest],
      ['updated_at', entry.updated_at],
      ['sensitive', (entry.sensitive ?? []).join(', ') || '—'],
      ['origin', lock.origin],
    ]),
  );
}

function unknownKey(lock: Lockfile, key: string): never {
  const keys = Object.keys(lock.tasks).sort();
  const near = keys.filter((k) => k.includes(key) || key.includes(k)).slice(0, 3);
  throw new InvalidInputError(
    `titan.lock has no entry "${key}".`,
    near.length > 0
      ? `Did you mean ${near.join(', ')}? (titan state list shows all)`
      : 'titan state list shows every key.',
  );
}

/** rm and mv: under the workspace lock, after settling a journal (offline), one atomic rewrite. */
async function rewrite(
  deps: StateDeps,
  command: string,
  change: (lock: Lockfile) => Lockfile,
): Promise<Lockfile> {
  const held = await acquireWorkspaceLock(
    { stateDir: deps.workspace.stateDir, command, timeoutMs: deps.lockTimeoutMs },
    deps.lockEnvironment,
  );
  try {
    const onDisk = await readRequired(deps);
    const recovered = await recoverWorkspace(
      {
        workspace: deps.workspace,
        origin: onDisk.origin,
        now: deps.now,
        newId: randomUUID,
        warn: (message) => deps.stderr.write(`Warning: ${message}\n`),
        sleep: deps.lockEnvironment.sleep,
        allowForeignOrigin: false,
      },
      undefined,
      onDisk,
    );
    const base = recovered.lock ?? onDisk;
    const next = commitLock(base, change(base));
    if (next !== base) await writeLockfile(deps.workspace.lockfilePath, next);
    return next;
  } finally {
    await held.release();
  }
}

export async function stateRm(deps: StateDeps, key: string): Promise<void> {
  let id = '';
  const lock = await rewrite(deps, 'state rm', (current) => {
    id = (current.tasks[key] ?? unknownKey(current, key)).id;
    return removeEntry(current, key);
  });
  deps.stdout.write(
    `Removed ${key} from titan.lock (serial ${lock.serial}). Task ${id} stays on the service, now unmanaged; ` +
      `titan import ${key} ${id} manages it again.\n`,
  );
}

export async function stateMv(deps: StateDeps, from: string, to: string): Promise<void> {
  if (!KEY_PATTERN.test(to)) {
    throw new InvalidInputError(
      `"${to}" is not a valid key: lower-case letters, digits and dashes, at most 63, starting and ending with a letter or digit.`,
    );
  }
  const lock = await rewrite(deps, 'state mv', (current) => {
    if (current.tasks[from] === undefined) unknownKey(current, from);
    if (from === to) return current;
    if (current.tasks[to] !== undefined) {
      // Moving onto it would drop the record of a live task: titan would forget it and never delete it.
      throw new RefusedError(
        `titan.lock already has an entry "${to}" (task ${current.tasks[to]?.id}); nothing was changed.`,
        `If that entry is stale, forget it first (the task stays on the service): titan state rm ${to}\n` +
          `Then: titan state mv ${from} ${to}`,
      );
    }
    return moveEntry(current, from, to);
  });
  deps.stdout.write(
    `Moved ${from} to ${to} in titan.lock (serial ${lock.serial}). Rename the manifest's metadata.name to ${to} too, ` +
      `or the next plan treats it as a delete and a create.\n`,
  );
}
