/**
 * A project: several workspaces in one repository (or folder), described by `titan.project.yaml` at its root.
 * Each workspace keeps its own lockfile, origin, token and workspace lock; the project only says which folders
 * are workspaces and where each one's origin and token come from (the NAMES of environment variables: the token
 * itself still only ever comes from the environment).
 */
import type { JsonObject } from '../json.js';
import type { SourceLocation } from '../diagnostics.js';

export const PROJECT_FILE_NAME = 'titan.project.yaml';
export const PROJECT_API_VERSION = 'titan/v1';
export const PROJECT_KIND = 'Project';
export const DEFAULT_API_URL_ENV = 'TITAN_API_URL';
export const DEFAULT_TOKEN_ENV = 'TITAN_TOKEN';

/** One `workspaces:` entry as written: `path` may be a glob (`teams/*`). */
export interface WorkspaceEntry {
  /** `/`-separated, relative to the project root. */
  path: string;
  name?: string;
  apiUrlEnv?: string;
  tokenEnv?: string;
  policies?: JsonObject;
  /** Where the entry is written, for diagnostics about it (a glob matching nothing, a duplicate name). */
  at: SourceLocation;
}

export interface ProjectFile {
  /** The file as the user would name it (relative to the working directory when possible). */
  file: string;
  workspaces: WorkspaceEntry[];
  policies?: JsonObject;
  pricing?: JsonObject;
}

/** A workspace of a project once globs are expanded. */
export interface ProjectWorkspace {
  /** Display and selection name: the entry's `name`, else its path. */
  name: string;
  /** `/`-separated path relative to the project root ('.' for the root itself). */
  path: string;
  apiUrlEnv: string;
  tokenEnv: string;
  policies?: JsonObject;
}
