/**
 * `titan.project.yaml` text → the project, or diagnostics at `file:line:col` for every problem at once. Pure.
 * The checks mirror `schemas/project.schema.json` (what editors use); a test holds the two together.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import type { JsonObject, JsonValue } from '../json.js';
import { displayPath, type Path } from '../manifest/paths.js';
import { parseYamlDocuments, type Locator } from '../manifest/yaml.js';
import { ProjectCode } from './codes.js';
import { PROJECT_API_VERSION, PROJECT_KIND, type ProjectFile, type WorkspaceEntry } from './model.js';

export interface ParsedProject {
  /** Undefined when the file has errors. */
  project?: ProjectFile;
  diagnostics: Diagnostic[];
}

const TOP_FIELDS = new Set(['apiVersion', 'kind', 'workspaces', 'policies', 'pricing']);
const ENTRY_FIELDS = new Set(['path', 'name', 'apiUrlEnv', 'tokenEnv', 'policies']);
/** Names select workspaces on the command line: no spaces, no commas, nothing a shell would mangle. */
export const WORKSPACE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function parseProjectFile(text: string, file: string): ParsedProject {
  const parsed = parseYamlDocuments(text, file);
  const diagnostics: Diagnostic[] = parsed.diagnostics.map((d) => ({ ...d }));
  const documents = parsed.documents.filter((doc) => !doc.empty);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const first = documents[0];
  if (first === undefined || first.value === undefined) {
    return {
      diagnostics: [
        {
          code: ProjectCode.required,
          severity: 'error',
          message: 'the project file is empty: it needs apiVersion, kind and workspaces',
          file,
          line: 1,
          column: 1,
        },
      ],
    };
  }
  const checker = new Checker(first.locator);
  for (const extra of documents.slice(1)) {
    checker.report(ProjectCode.yaml, 'the project file holds one document; remove the ones after it', [], {
      ...extra.locator.start,
      file,
    });
  }
  const project = checker.project(first.value);
  const found = [...diagnostics, ...checker.diagnostics];
  return found.some((d) => d.severity === 'error') || project === undefined
    ? { diagnostics: found }
    : { project, diagnostics: found };
}

class Checker {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly locator: Locator) {}

  project(value: JsonValue): ProjectFile | undefined {
    const top = this.object(value, []);
    if (top === undefined) return undefined;
    this.fields(top, [], TOP_FIELDS);
    this.constant(top, 'apiVersion', PROJECT_API_VERSION);
    this.constant(top, 'kind', PROJECT_KIND);
    const policies = this.optionalObject(top, 'policies', []);
    const pricing = this.optionalObject(top, 'pricing', []);
    const workspaces = this.entries(top);
    if (workspaces === undefined) return undefined;
    this.duplicates(workspaces);
    return {
      file: this.locator.file,
      workspaces,
      ...(policies ? { policies } : {}),
      ...(pricing ? { pricing } : {}),
    };
  }

  private entries(top: JsonObject): WorkspaceEntry[] | undefined {
    const list = top.workspaces;
    if (list === undefined) {
      this.report(
        ProjectCode.required,
        'workspaces is required: the folders (or globs) of the workspaces',
        [],
      );
      return undefined;
    }
    if (!Array.isArray(list) || list.length === 0) {
      this.report(ProjectCode.type, 'workspaces must be a non-empty list of { path: … } entries', [
        'workspaces',
      ]);
      return undefined;
    }
    const out: WorkspaceEntry[] = [];
    list.forEach((item, index) => {
      const at: Path = ['workspaces', index];
      const entry = this.object(item, at);
      if (entry === undefined) return;
      this.fields(entry, at, ENTRY_FIELDS);
      const path = this.workspacePath(entry, at);
      const name = this.optionalString(entry, 'name', at, WORKSPACE_NAME_PATTERN, NAME_RULE);
      const apiUrlEnv = this.optionalString(entry, 'apiUrlEnv', at, ENV_NAME_PATTERN, ENV_RULE);
      const tokenEnv = this.optionalString(entry, 'tokenEnv', at, ENV_NAME_PATTERN, ENV_RULE);
      const policies = this.optionalObject(entry, 'policies', at);
      if (path === undefined) return;
      if (name !== undefined && /[*?]/.test(path)) {
        this.report(
          ProjectCode.value,
          'a name belongs to one workspace: a glob path matches several, so it cannot have one',
          [...at, 'name'],
        );
      }
      out.push({
        path,
        at: this.place([...at, 'path'], 'value'),
        ...(name !== undefined ? { name } : {}),
        ...(apiUrlEnv !== undefined ? { apiUrlEnv } : {}),
        ...(tokenEnv !== undefined ? { tokenEnv } : {}),
        ...(policies !== undefined ? { policies } : {}),
      });
    });
    return out;
  }

  private workspacePath(entry: JsonObject, at: Path): string | undefined {
    const value = entry.path;
    if (value === undefined) {
      this.report(
        ProjectCode.required,
        `${displayPath(at)} needs a path (a folder or a glob like teams/*)`,
        at,
      );
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.report(ProjectCode.type, `${displayPath([...at, 'path'])} must be a non-empty string`, [
        ...at,
        'path',
      ]);
      return undefined;
    }
    const problem = pathProblem(value);
    if (problem !== undefined) {
      this.report(ProjectCode.path, `${displayPath([...at, 'path'])}: ${problem}`, [...at, 'path']);
      return undefined;
    }
    return normalizeEntryPath(value);
  }

  /** Names and plain paths must be unique (globs are checked once expanded). */
  private duplicates(entries: WorkspaceEntry[]): void {
    const seen = new Map<string, WorkspaceEntry>();
    for (const entry of entries) {
      for (const id of [entry.name === undefined ? undefined : `name ${entry.name}`, `path ${entry.path}`]) {
        if (id === undefined) continue;
        const before = seen.get(id);
        if (before === undefined) seen.set(id, entry);
        else {
          this.diagnostics.push({
            code: ProjectCode.duplicate,
            severity: 'error',
            message: `two workspaces have the ${id} (the first at line ${before.at.line})`,
            ...entry.at,
          });
        }
      }
    }
  }

  private constant(top: JsonObject, field: string, expected: string): void {
    const value = top[field];
    if (value === undefined) this.report(ProjectCode.required, `${field} is required: ${expected}`, []);
    else if (value !== expected) {
      this.report(ProjectCode.value, `${field} must be ${expected}, not ${JSON.stringify(value)}`, [field]);
    }
  }

  private object(value: JsonValue | undefined, at: Path): JsonObject | undefined {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    this.report(ProjectCode.type, `${displayPath(at)} must be a mapping`, at);
    return undefined;
  }

  private optionalObject(parent: JsonObject, field: string, at: Path): JsonObject | undefined {
    return parent[field] === undefined ? undefined : this.object(parent[field], [...at, field]);
  }

  private optionalString(
    parent: JsonObject,
    field: string,
    at: Path,
    pattern: RegExp,
    rule: string,
  ): string | undefined {
    const value = parent[field];
    if (value === undefined) return undefined;
    const where = [...at, field];
    if (typeof value !== 'string') {
      this.report(ProjectCode.type, `${displayPath(where)} must be a string`, where);
      return undefined;
    }
    if (!pattern.test(value)) {
      this.report(ProjectCode.value, `${displayPath(where)}: ${JSON.stringify(value)} is not ${rule}`, where);
      return undefined;
    }
    return value;
  }

  private fields(object: JsonObject, at: Path, known: Set<string>): void {
    for (const key of Object.keys(object)) {
      if (!known.has(key)) {
        this.report(
          ProjectCode.unknownField,
          `unknown field ${displayPath([...at, key])} (known: ${[...known].join(', ')})`,
          [...at, key],
          undefined,
          'key',
        );
      }
    }
  }

  report(
    code: string,
    message: string,
    path: Path,
    where?: SourceLocation,
    mode: 'key' | 'value' = 'value',
  ): void {
    this.diagnostics.push({
      code,
      severity: 'error',
      message,
      ...(where ?? this.place(path, mode)),
      ...(path.length > 0 ? { path: `/${path.join('/')}` } : {}),
    });
  }

  private place(path: Path, mode: 'key' | 'value'): SourceLocation {
    return { file: this.locator.file, ...this.locator.at(path, mode) };
  }
}

const NAME_RULE = 'a workspace name (letters, digits, ".", "_", "/" or "-", starting with a letter or digit)';
const ENV_RULE = 'an environment variable name (letters, digits and "_", not starting with a digit)';

/** Why a workspace path cannot be used, if it cannot: it must stay inside the project root. */
export function pathProblem(value: string): string | undefined {
  const posix = value.replace(/\\/g, '/');
  if (posix.startsWith('/') || /^[A-Za-z]:/.test(posix)) return 'must be relative to the project root';
  const segments = normalizeEntryPath(posix).split('/');
  if (segments.includes('..')) return 'must stay inside the project root (no "..")';
  if (segments.some((s) => s.includes('**'))) return '"**" is not supported: use one "*" per folder level';
  if (segments.some((s) => s.startsWith('.') && s !== '.')) return 'must not name a dot-folder';
  return undefined;
}

/** `./teams/a/` → `teams/a`; the root itself is `.`. */
export function normalizeEntryPath(value: string): string {
  const segments = value
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  return segments.length === 0 ? '.' : segments.join('/');
}
