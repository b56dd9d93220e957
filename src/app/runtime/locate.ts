/**
 * Which workspace a runtime command addressed by manifest key works in. `--workspace` decides when given.
 * Otherwise the working directory, when its titan.lock manages the key; otherwise the one workspace below it
 * (at most three folders down, skipping dot-folders and node_modules) whose titan.lock does — so
 * `titan run --local my-first-task` works from where `titan apply --local examples/quickstart` was run. The choice
 * is made before connecting, because with `--local` the workspace also holds the emulator's data.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { LOCKFILE_NAME, type Lockfile } from '../../core/lock/model.js';
import { readLockfile } from '../../io/lockfile.js';
import { resolveWorkspace, type Workspace } from '../../io/workspace.js';

/** How many folder levels below the working directory are searched for a workspace managing the key. */
export const KEY_SEARCH_DEPTH = 3;

export interface WorkspaceChoice {
  workspace: Workspace;
  /** Set when the workspace was found below the working directory: its path relative to it. */
  foundBelow?: string;
}

export interface ChooseWorkspaceOptions {
  cwd: string;
  /** `--workspace DIR`. */
  explicit?: string;
  /** The manifest key the command addresses, if any. */
  key?: string;
  /** `--local`: among several workspaces holding the key, the ones applied with --local. */
  local: boolean;
}

export async function chooseWorkspace(options: ChooseWorkspaceOptions): Promise<WorkspaceChoice> {
  const here = resolveWorkspace([], options.cwd, options.explicit);
  const key = options.key;
  if (options.explicit !== undefined || key === undefined) return { workspace: here };
  let own: Lockfile | null;
  try {
    own = await readLockfile(here.lockfilePath);
  } catch {
    return { workspace: here }; // damaged: the key lookup that follows reports it, with its recovery hint
  }
  if (own !== null && Object.hasOwn(own.tasks, key)) return { workspace: here };

  const holders = await workspacesManaging(options.cwd, key);
  const candidates =
    holders.length > 1 ? holders.filter((h) => (h.lock.origin === 'local:') === options.local) : holders;
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined) {
    return {
      workspace: resolveWorkspace([], options.cwd, only.dir),
      foundBelow: path.relative(options.cwd, only.dir),
    };
  }
  if (holders.length === 0) return { workspace: here };
  const listed = holders.map((h) => path.relative(options.cwd, h.dir)).join(', ');
  throw new InvalidInputError(
    `The key "${key}" is managed by ${holders.length} workspaces below the working directory: ${listed}.`,
    'Name the one you mean with --workspace DIR.',
  );
}

/** Workspaces below `cwd` (not `cwd` itself) whose readable titan.lock manages `key`, in path order. */
async function workspacesManaging(cwd: string, key: string): Promise<{ dir: string; lock: Lockfile }[]> {
  const found: { dir: string; lock: Lockfile }[] = [];
  for (const dir of await foldersWithLockfile(cwd)) {
    // Someone else's damaged lockfile must not stop this lookup: it simply does not count.
    const lock = await readLockfile(path.join(dir, LOCKFILE_NAME)).catch(() => null);
    if (lock !== null && Object.hasOwn(lock.tasks, key)) found.push({ dir, lock });
  }
  return found;
}

async function foldersWithLockfile(cwd: string): Promise<string[]> {
  const found: string[] = [];
  let level = [path.resolve(cwd)];
  for (let depth = 1; depth <= KEY_SEARCH_DEPTH; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
          next.push(path.join(dir, entry.name));
        }
      }
    }
    next.sort();
    found.push(...next.filter((dir) => existsSync(path.join(dir, LOCKFILE_NAME))));
    level = next;
  }
  return found;
}
