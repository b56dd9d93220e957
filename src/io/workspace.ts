/**
 * Where a command's workspace is: the folder holding `titan.lock`, `.titan/` (journal, workspace lock, `--local`
 * data) and, usually, the manifests.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { LOCKFILE_NAME } from '../core/lock/model.js';

export interface Workspace {
  /** Absolute path of the workspace folder. */
  root: string;
  /** Absolute path of its lockfile (which may not exist yet). */
  lockfilePath: string;
  /** Absolute path of `.titan/`, titan's private state folder (git-ignored). */
  stateDir: string;
}

/**
 * The workspace of `titan <command> [paths]`: the first path when it is a folder, the folder of the first path
 * when it is a file, else the working directory. `--workspace DIR` overrides.
 */
export function resolveWorkspace(paths: readonly string[], cwd: string, explicit?: string): Workspace {
  const root = path.resolve(cwd, explicit ?? workspaceFolderOf(paths[0], cwd));
  return { root, lockfilePath: path.join(root, LOCKFILE_NAME), stateDir: path.join(root, '.titan') };
}

function workspaceFolderOf(first: string | undefined, cwd: string): string {
  if (first === undefined) return cwd;
  const absolute = path.resolve(cwd, first);
  try {
    return statSync(absolute).isDirectory() ? absolute : path.dirname(absolute);
  } catch {
    return cwd; // a missing path is reported by the manifest loader, with its name
  }
}
