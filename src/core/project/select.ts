/**
 * Which workspaces a command works on, from its paths, its `--workspace` names and the files changed since a git
 * revision. Pure: absolute paths in (already resolved against the working directory), selections out.
 *
 * A path inside a workspace selects that workspace (with that path as its manifests); a path holding workspaces
 * selects them all (each with its whole folder); a path in no workspace and holding none is an error.
 */
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { compareStrings } from '../json.js';
import type { ProjectWorkspace } from './model.js';

export interface WorkspaceSelection {
  workspace: ProjectWorkspace;
  /** Absolute workspace folder. */
  dir: string;
  /** Absolute manifest paths to load; empty: the whole workspace folder. */
  paths: string[];
}

export const workspaceDir = (root: string, workspace: ProjectWorkspace): string =>
  workspace.path === '.' ? root : path.join(root, ...workspace.path.split('/'));

/** `inner` is `outer` or inside it. */
export const isWithin = (inner: string, outer: string): boolean => {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** The innermost workspace holding `target`, if any. */
export function workspaceHolding(
  root: string,
  workspaces: readonly ProjectWorkspace[],
  target: string,
): ProjectWorkspace | undefined {
  let best: ProjectWorkspace | undefined;
  for (const workspace of workspaces) {
    if (!isWithin(target, workspaceDir(root, workspace))) continue;
    if (best === undefined || workspace.path.length > best.path.length) best = workspace;
  }
  return best;
}

/** Selections for the given absolute paths (none: every workspace), in the project's order. */
export function selectByPaths(
  root: string,
  workspaces: readonly ProjectWorkspace[],
  targets: readonly string[],
): WorkspaceSelection[] {
  if (targets.length === 0)
    return workspaces.map((w) => ({ workspace: w, dir: workspaceDir(root, w), paths: [] }));
  const chosen = new Map<string, WorkspaceSelection>();
  const whole = new Set<string>();
  const add = (workspace: ProjectWorkspace, target: string | undefined): void => {
    const selection = chosen.get(workspace.path) ?? {
      workspace,
      dir: workspaceDir(root, workspace),
      paths: [],
    };
    chosen.set(workspace.path, selection);
    if (target === undefined || target === selection.dir) whole.add(workspace.path);
    else selection.paths.push(target);
  };
  for (const target of targets) {
    const holder = workspaceHolding(root, workspaces, target);
    const inside = workspaces.filter((w) => w !== holder && isWithin(workspaceDir(root, w), target));
    if (holder !== undefined) add(holder, inside.length > 0 ? undefined : target);
    for (const workspace of inside) add(workspace, undefined);
    if (holder === undefined && inside.length === 0) {
      throw new InvalidInputError(
        `${target} is in no workspace of the project and holds none.`,
        `The workspaces: ${workspaces.map((w) => w.path).join(', ')} (see titan.project.yaml).`,
      );
    }
  }
  for (const key of whole) (chosen.get(key) as WorkspaceSelection).paths = [];
  return workspaces.filter((w) => chosen.has(w.path)).map((w) => chosen.get(w.path) as WorkspaceSelection);
}

/**
 * `--workspace NAME|PATH` (repeatable): a name, else a folder (absolute, already resolved) of a workspace.
 * Unknown ones are an error naming the workspaces.
 */
export function selectByNames(
  root: string,
  workspaces: readonly ProjectWorkspace[],
  wanted: readonly { text: string; absolute: string }[],
): WorkspaceSelection[] {
  const chosen = new Set<ProjectWorkspace>();
  for (const { text, absolute } of wanted) {
    const match =
      workspaces.find((w) => w.name === text) ??
      workspaces.find((w) => workspaceDir(root, w) === absolute) ??
      workspaces.find((w) => w.path === text.replace(/\\/g, '/').replace(/\/$/, ''));
    if (match === undefined) {
      throw new InvalidInputError(
        `--workspace ${text}: no workspace of the project has that name or folder.`,
        `The workspaces: ${workspaces.map(describeWorkspace).join(', ')}.`,
      );
    }
    chosen.add(match);
  }
  return workspaces
    .filter((w) => chosen.has(w))
    .map((w) => ({ workspace: w, dir: workspaceDir(root, w), paths: [] }));
}

export const describeWorkspace = (w: ProjectWorkspace): string =>
  w.name === w.path ? w.path : `${w.name} (${w.path})`;

/**
 * `--changed-since REF`: the selections whose workspace folder holds a changed file, or whose manifests `$ref` one.
 * `changed` and `referenced` are absolute. A changed project file changes every workspace.
 */
export function filterChanged(
  selections: readonly WorkspaceSelection[],
  changed: readonly string[],
  referenced: ReadonlyMap<string, readonly string[]>,
  projectFile: string | undefined,
): WorkspaceSelection[] {
  if (projectFile !== undefined && changed.includes(projectFile)) return [...selections];
  const all = selections.map((s) => s.dir);
  return selections.filter((selection) => {
    // A change in a nested workspace belongs to it, not to the workspace around it.
    const nested = all.filter((dir) => dir !== selection.dir && isWithin(dir, selection.dir));
    const own = (file: string): boolean =>
      isWithin(file, selection.dir) && !nested.some((dir) => isWithin(file, dir));
    const refs = new Set(referenced.get(selection.dir) ?? []);
    return changed.some((file) => own(file) || refs.has(file));
  });
}

export const sortWorkspaces = (workspaces: ProjectWorkspace[]): ProjectWorkspace[] =>
  workspaces.sort((a, b) => compareStrings(a.path, b.path));
