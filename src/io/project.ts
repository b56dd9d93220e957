/**
 * Finding and reading a project: `titan.project.yaml` in the working directory or a folder above it (or the folder
 * `--project DIR` names), its workspace globs expanded into folders; without one, the workspaces found by their
 * `titan.lock` below the repository root. Git is reached through an injected runner.
 */
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { InvalidInputError, OperationalError } from '../core/errors.js';
import { compareStrings } from '../core/json.js';
import { LOCKFILE_NAME } from '../core/lock/model.js';
import { ProjectCode } from '../core/project/codes.js';
import {
  DEFAULT_API_URL_ENV,
  DEFAULT_TOKEN_ENV,
  PROJECT_FILE_NAME,
  type ProjectFile,
  type ProjectWorkspace,
  type WorkspaceEntry,
} from '../core/project/model.js';
import { parseProjectFile } from '../core/project/parse.js';

/** Runs git with `args` in `cwd`; resolves with its exit code and output (never rejects for a non-zero exit). */
export type GitRunner = (args: readonly string[], cwd: string) => Promise<GitResult>;
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const processGit: GitRunner = (args, cwd) =>
  new Promise((resolve) => {
    execFile('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

export interface Project {
  /** Absolute project root. */
  root: string;
  /** Absolute path of `titan.project.yaml`; undefined for a project found by its lockfiles. */
  file?: string;
  /** The parsed file (policies, pricing) when there is one. */
  definition?: ProjectFile;
  workspaces: ProjectWorkspace[];
}

/** The project file has errors: exit 3 after its diagnostics are printed. */
export class InvalidProjectError extends InvalidInputError {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly sources: ReadonlyMap<string, string>,
  ) {
    const count = diagnostics.filter((d) => d.severity === 'error').length;
    super(
      `The project file has ${count} error${count === 1 ? '' : 's'}; nothing was done.`,
      'Fix titan.project.yaml (see the README section "Projects"), then run the command again.',
    );
  }
}

/** `titan.project.yaml` in `--project DIR`, or in `start` or the nearest folder above it holding one. */
export function findProjectFile(start: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const dir = path.resolve(start, explicit);
    const file = path.join(dir, PROJECT_FILE_NAME);
    if (!isFile(file)) {
      throw new InvalidInputError(
        `--project ${explicit}: ${dir} holds no ${PROJECT_FILE_NAME}.`,
        'Name the folder holding the project file (the project root).',
      );
    }
    return file;
  }
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const file = path.join(dir, PROJECT_FILE_NAME);
    if (isFile(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Reads and checks a project file, expanding its workspace globs. Diagnostics name it relative to `cwd`. */
export async function loadProjectFile(file: string, cwd: string): Promise<Project> {
  const display = displayName(cwd, file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new OperationalError(`Cannot read ${display}: ${(error as Error).message}`);
  }
  const sources = new Map([[display, text]]);
  const parsed = parseProjectFile(text, display);
  if (parsed.project === undefined) throw new InvalidProjectError(parsed.diagnostics, sources);
  const root = path.dirname(file);
  const diagnostics: Diagnostic[] = [];
  const workspaces: ProjectWorkspace[] = [];
  const seen = new Map<string, WorkspaceEntry>();
  for (const entry of parsed.project.workspaces) {
    const folders = await expandEntry(root, entry.path);
    if (folders.length === 0) {
      diagnostics.push({
        code: /[*?]/.test(entry.path) ? ProjectCode.noMatch : ProjectCode.path,
        severity: 'error',
        message: /[*?]/.test(entry.path)
          ? `${entry.path} matches no folder`
          : `${entry.path} is not a folder of the project`,
        hint: 'create the folder (titan init DIR), or fix the path',
        ...entry.at,
      });
    }
    for (const folder of folders) {
      const before = seen.get(folder);
      if (before !== undefined) {
        diagnostics.push({
          code: ProjectCode.duplicate,
          severity: 'error',
          message: `the folder ${folder} is listed twice (also at line ${before.at.line})`,
          ...entry.at,
        });
        continue;
      }
      seen.set(folder, entry);
      workspaces.push({
        name: entry.name ?? folder,
        path: folder,
        apiUrlEnv: entry.apiUrlEnv ?? DEFAULT_API_URL_ENV,
        tokenEnv: entry.tokenEnv ?? DEFAULT_TOKEN_ENV,
        ...(entry.policies !== undefined ? { policies: entry.policies } : {}),
      });
    }
  }
  const names = new Map<string, string>();
  for (const workspace of workspaces) {
    const other = names.get(workspace.name);
    if (other !== undefined && other !== workspace.path) {
      diagnostics.push({
        code: ProjectCode.duplicate,
        severity: 'error',
        message: `the name ${workspace.name} is used by ${other} and ${workspace.path}`,
        ...(seen.get(workspace.path) as WorkspaceEntry).at,
      });
    }
    names.set(workspace.name, workspace.path);
  }
  if (diagnostics.length > 0) throw new InvalidProjectError(diagnostics, sources);
  return { root, file, definition: parsed.project, workspaces };
}

/** The folders (project-relative, `/`-separated) an entry names: one for a plain path, any number for a glob. */
async function expandEntry(root: string, pattern: string): Promise<string[]> {
  if (pattern === '.') return [pattern];
  let level = [''];
  for (const segment of pattern.split('/')) {
    const next: string[] = [];
    if (!/[*?]/.test(segment)) {
      for (const base of level) {
        const rel = base === '' ? segment : `${base}/${segment}`;
        if (isDirectory(path.join(root, rel))) next.push(rel);
      }
    } else {
      const matcher = globSegment(segment);
      for (const base of level) {
        const entries = await readdir(path.join(root, base), { withFileTypes: true }).catch(() => []);
        for (const entry of entries) {
          if (!entry.isDirectory() || skipped(entry.name) || !matcher.test(entry.name)) continue;
          next.push(base === '' ? entry.name : `${base}/${entry.name}`);
        }
      }
    }
    level = next;
  }
  return level.sort(compareStrings);
}

const globSegment = (segment: string): RegExp =>
  new RegExp(
    `^${segment
      .split('')
      .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

/** Folders no search enters: dot-folders (.git, .titan) and node_modules. */
const skipped = (name: string): boolean => name.startsWith('.') || name === 'node_modules';

/** How deep below its root a project is searched for lockfiles. */
export const DISCOVERY_DEPTH = 8;

/**
 * Workspaces found by their `titan.lock`: `root` itself when it holds one, and every folder below it that does
 * (dot-folders and node_modules skipped), as project-relative paths in path order.
 */
export async function discoverWorkspaces(root: string): Promise<ProjectWorkspace[]> {
  const found: string[] = existsSync(path.join(root, LOCKFILE_NAME)) ? ['.'] : [];
  let level = [''];
  for (let depth = 1; depth <= DISCOVERY_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const base of level) {
      const entries = await readdir(path.join(root, base), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (entry.isDirectory() && !skipped(entry.name))
          next.push(base === '' ? entry.name : `${base}/${entry.name}`);
      }
    }
    found.push(...next.filter((rel) => existsSync(path.join(root, rel, LOCKFILE_NAME))));
    level = next;
  }
  return found.sort(compareStrings).map((rel) => ({
    name: rel,
    path: rel,
    apiUrlEnv: DEFAULT_API_URL_ENV,
    tokenEnv: DEFAULT_TOKEN_ENV,
  }));
}

/** The git repository's top folder holding `cwd`, if it is in one. */
export async function gitToplevel(git: GitRunner, cwd: string): Promise<string | undefined> {
  const result = await git(['rev-parse', '--show-toplevel'], cwd);
  return result.code === 0 ? path.resolve(result.stdout.trim()) : undefined;
}

/**
 * Files changed since `ref` (committed, staged, in the working tree, and new untracked ones), absolute. A ref git
 * does not know is invalid input.
 */
export async function changedFilesSince(git: GitRunner, cwd: string, ref: string): Promise<string[]> {
  const top = await gitToplevel(git, cwd);
  if (top === undefined) {
    throw new InvalidInputError(`--changed-since ${ref}: ${cwd} is not in a git repository.`);
  }
  const diff = await git(['diff', '--name-only', '--no-renames', ref, '--'], top);
  if (diff.code !== 0) {
    throw new InvalidInputError(
      `--changed-since ${ref}: git does not know that revision (${diff.stderr.trim().split('\n')[0] ?? ''}).`,
      'Name a commit, branch or tag (in CI, fetch it first: actions/checkout with fetch-depth: 0).',
    );
  }
  const untracked = await git(['ls-files', '--others', '--exclude-standard'], top);
  const names = [...diff.stdout.split('\n'), ...(untracked.code === 0 ? untracked.stdout.split('\n') : [])];
  return [...new Set(names.filter((n) => n !== '').map((n) => path.join(top, n)))].sort(compareStrings);
}

/** `file` relative to `cwd` when inside it (as diagnostics name files), else absolute. */
export function displayName(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : file;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
