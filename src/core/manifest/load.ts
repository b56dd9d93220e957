/**
 * The pure heart of the loader: manifest file texts in, desired tasks and every diagnostic out. Reading paths
 * and files is the io layer's job (`src/io/manifests.ts`).
 *
 * A file holding a document with `apiVersion`, `kind`, `metadata` or `spec` is a manifest file, always. Another
 * YAML file is a schema when a `$ref` names it (or a manifest mentions it in a `$ref` titan could not follow),
 * and otherwise skipped with a warning — unless it cannot even be read as YAML, which is reported.
 */
import path from 'node:path';
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import type { DesiredTask } from '../model.js';
import { Code } from './codes.js';
import type { CronProblem } from './cron.js';
import { checkManifestDocument, type TaskIdentity } from './document.js';
import type { Env } from './interpolate.js';
import type { RefContext } from './refs.js';
import type { ManifestSchemas } from './schema-port.js';
import { checkIdentities, listSome } from './workspace.js';
import { parseYamlDocuments, type ParsedFile } from './yaml.js';

export interface ManifestText {
  /** Absolute path. */
  absPath: string;
  /** How diagnostics name it. */
  display: string;
  text: string;
}

export interface CheckManifestsOptions {
  env: Env;
  schemas: ManifestSchemas;
  refs: RefContext;
  /** Diagnostics listed per file; the rest are counted. */
  maxProblemsPerFile?: number;
}

export interface CheckedManifests {
  /** Every document without errors of its own, sorted by key. */
  tasks: DesiredTask[];
  /** Sorted by file, line, column. */
  diagnostics: Diagnostic[];
  /** Display names of the manifest files (schemas and skipped files are not manifests). */
  files: string[];
}

export const MAX_PROBLEMS_PER_FILE = 100;

interface FileOutcome {
  file: ManifestText;
  tasks: DesiredTask[];
  diagnostics: Diagnostic[];
  identities: TaskIdentity[];
}

/** Diagnostics located in referenced files, reported once with the manifests that use them. */
type SharedProblems = Map<string, { diagnostic: Diagnostic; usedBy: Set<string> }>;

export function checkManifestTexts(
  files: readonly ManifestText[],
  options: CheckManifestsOptions,
): CheckedManifests {
  const parsed = files.map((file) => parseFile(file, options));
  const referenced = new Set<string>();
  const shared: SharedProblems = new Map();
  const cronVerdicts = new Map<string, CronProblem | undefined>();
  const outcomes: FileOutcome[] = [];
  for (const one of parsed) {
    if (!isManifestFile(one.parsed)) continue;
    outcomes.push(checkFile(one.file, one.parsed, options, { referenced, shared, cronVerdicts }));
    for (const mentioned of mentionedRefs(one.file)) referenced.add(mentioned);
  }
  const others = parsed.filter((one) => !isManifestFile(one.parsed) && !referenced.has(one.file.absPath));
  const diagnostics: Diagnostic[] = [];
  const push = (found: readonly Diagnostic[]): void => {
    for (const d of found) diagnostics.push(d);
  };
  for (const outcome of outcomes) push(outcome.diagnostics);
  for (const one of others) push(otherFileDiagnostics(one.file, one.parsed));
  push(sharedDiagnostics(shared));
  push(checkIdentities(outcomes.flatMap((o) => o.identities)));
  const counted = [
    ...outcomes.map((o) => o.file.display),
    ...others.filter((one) => !isSkipped(one.parsed)).map((one) => one.file.display),
  ];
  return {
    tasks: outcomes.flatMap((o) => o.tasks).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    diagnostics: capPerFile(
      sortDiagnostics(diagnostics),
      options.maxProblemsPerFile ?? MAX_PROBLEMS_PER_FILE,
    ),
    files: counted.sort(),
  };
}

function parseFile(
  file: ManifestText,
  options: CheckManifestsOptions,
): { file: ManifestText; parsed: ParsedFile } {
  try {
    return { file, parsed: parseYamlDocuments(file.text, file.display, options.refs.limits) };
  } catch (error) {
    return {
      file,
      parsed: { documents: [], diagnostics: [internalError(error, file.display, { line: 1, column: 1 })] },
    };
  }
}

const hasError = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');

/** A file with a manifest-shaped document (or one titan failed on: reported as a manifest would be). */
const isManifestFile = (parsed: ParsedFile): boolean =>
  parsed.documents.some((d) => d.manifestShaped) || parsed.diagnostics.some((d) => d.code === Code.internal);

/** A YAML file that is no manifest and reads fine: skipped (with a warning). Empty files are simply empty. */
const isSkipped = (parsed: ParsedFile): boolean =>
  !hasError(parsed.diagnostics) && parsed.documents.some((d) => !d.empty);

function otherFileDiagnostics(file: ManifestText, parsed: ParsedFile): Diagnostic[] {
  if (hasError(parsed.diagnostics)) return parsed.diagnostics;
  if (!isSkipped(parsed)) return [];
  return [
    {
      code: Code.notAManifest,
      severity: 'warning',
      message: 'not a titan manifest (no apiVersion, kind, metadata or spec); skipped',
      hint: 'a manifest starts with apiVersion: titan/v1 and kind: Task; name only the folders that hold manifests to silence this',
      file: file.display,
      line: 1,
      column: 1,
    },
  ];
}

interface LoadState {
  /** Absolute paths of the files `$ref`s name. */
  referenced: Set<string>;
  shared: SharedProblems;
  cronVerdicts: Map<string, CronProblem | undefined>;
}

function checkFile(
  file: ManifestText,
  parsed: ParsedFile,
  options: CheckManifestsOptions,
  state: LoadState,
): FileOutcome {
  const outcome: FileOutcome = { file, tasks: [], diagnostics: [...parsed.diagnostics], identities: [] };
  for (const doc of parsed.documents) {
    if (doc.empty) continue;
    try {
      const checked = checkManifestDocument(doc, {
        absFile: file.absPath,
        env: options.env,
        schemas: options.schemas,
        refs: options.refs,
        cronVerdicts: state.cronVerdicts,
      });
      for (const d of checked.diagnostics) {
        if (d.file === undefined || d.file === file.display) outcome.diagnostics.push(d);
        else share(state.shared, d, file.display);
      }
      if (checked.task) outcome.tasks.push(checked.task);
      if (checked.identity) outcome.identities.push(checked.identity);
      for (const f of checked.refFiles) state.referenced.add(f);
    } catch (error) {
      outcome.diagnostics.push(internalError(error, doc.locator.file, doc.locator.start));
    }
  }
  return outcome;
}

function share(shared: SharedProblems, diagnostic: Diagnostic, usedBy: string): void {
  const id = [diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column, diagnostic.message].join(
    '\u0000',
  );
  const entry = shared.get(id);
  if (entry) entry.usedBy.add(usedBy);
  else shared.set(id, { diagnostic, usedBy: new Set([usedBy]) });
}

function sharedDiagnostics(shared: SharedProblems): Diagnostic[] {
  return [...shared.values()].map(({ diagnostic, usedBy }) => ({
    ...diagnostic,
    message: `${diagnostic.message} (used by ${listSome([...usedBy].sort())})`,
  }));
}

/**
 * Files a manifest names in `$ref`s, read from its text: when a manifest cannot be read, its schemas are still
 * schemas (not YAML files to warn about).
 */
function mentionedRefs(file: ManifestText): string[] {
  const out: string[] = [];
  for (const match of file.text.matchAll(/\$ref["']?\s*:\s*["']?([^"'#\s,}\]]+)/g)) {
    const target = match[1];
    if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    try {
      out.push(path.resolve(path.dirname(file.absPath), decodeURIComponent(target)));
    } catch {
      // A malformed reference names no file.
    }
  }
  return out;
}

/**
 * At most `max` diagnostics per file, then one that counts the rest: a generated or hostile file must not bury
 * the output (or the terminal) under thousands of lines.
 */
export function capPerFile(diagnostics: readonly Diagnostic[], max: number): Diagnostic[] {
  const perFile = new Map<string, Diagnostic[]>();
  const out: Diagnostic[] = [];
  const dropped = new Map<string, { count: number; errors: boolean }>();
  for (const d of diagnostics) {
    const key = d.file ?? '';
    const listed = perFile.get(key) ?? [];
    if (listed.length < max) {
      listed.push(d);
      perFile.set(key, listed);
      out.push(d);
    } else {
      const rest = dropped.get(key) ?? { count: 0, errors: false };
      rest.count++;
      rest.errors ||= d.severity === 'error';
      dropped.set(key, rest);
    }
  }
  for (const [file, rest] of dropped) {
    const last = (perFile.get(file) ?? []).at(-1);
    const summary: Diagnostic = {
      code: Code.tooManyProblems,
      severity: rest.errors ? 'error' : 'warning',
      message: `${rest.count} more problem${rest.count === 1 ? '' : 's'} in this file (titan lists the first ${max})`,
      hint: 'fix these first, then validate again',
      ...(file === '' ? {} : { file }),
      ...(last?.line !== undefined ? { line: last.line, column: last.column ?? 1 } : {}),
    };
    // Right after the file's last listed diagnostic, so it reads as the end of that file's list.
    out.splice(out.indexOf(last as Diagnostic) + 1, 0, summary);
  }
  return out;
}

function internalError(error: unknown, file: string, at: { line: number; column: number }): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: Code.internal,
    severity: 'error',
    message: `titan could not check this document (internal error: ${message})`,
    hint: 'please report it with the document that triggers it',
    file,
    ...at,
  };
}
