/**
 * The pure heart of the loader: manifest file texts in, desired tasks and every diagnostic out. Reading paths
 * and files is the io layer's job (`src/io/manifests.ts`).
 *
 * A file holding a document with `apiVersion`, `kind`, `metadata` or `spec` is a manifest file, always. Another
 * YAML file is a schema when a `$ref` names it (or a manifest mentions it in a `$ref` titan could not follow),
 * and otherwise skipped with a warning — unless it cannot even be read as YAML, which is reported.
 */
import path from 'node:path';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { compareStrings } from '../json.js';
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

const MAX_PROBLEMS_PER_FILE = 100;

/** Diagnostics located in referenced files, reported once with the manifests that use them. */
type SharedProblems = Map<string, { diagnostic: Diagnostic; usedBy: Set<string> }>;

/**
 * What checking one file found, as plain data: files are checked independently (possibly on other threads) and
 * the checks combined by `combineFileChecks`.
 */
export interface FileCheck {
  file: { absPath: string; display: string };
  /** Holds a manifest-shaped document (or one titan failed on: reported as a manifest would be). */
  manifest: boolean;
  tasks: DesiredTask[];
  /** Its own problems; for another YAML file, what is reported unless a `$ref` names it. */
  diagnostics: Diagnostic[];
  /** Problems located in the files its `$ref`s name: reported once, with every manifest using them. */
  shared: Diagnostic[];
  identities: TaskIdentity[];
  /** Absolute paths of the files its `$ref`s name (followed, or mentioned in a document titan could not read). */
  referenced: string[];
  /** Another YAML file that reads fine and is not empty: skipped with a warning, and not counted as a file. */
  skipped: boolean;
}

export function checkManifestTexts(
  files: readonly ManifestText[],
  options: CheckManifestsOptions,
): CheckedManifests {
  const cronVerdicts = new Map<string, CronProblem | undefined>();
  return combineFileChecks(
    files.map((file) => checkManifestFile(file, options, cronVerdicts)),
    options.maxProblemsPerFile,
  );
}

/**
 * Parses and checks one file, keeping nothing of its YAML documents: a large workspace is checked a file at a
 * time. `cronVerdicts` remembers schedules already checked (many tasks share one).
 */
export function checkManifestFile(
  file: ManifestText,
  options: CheckManifestsOptions,
  cronVerdicts = new Map<string, CronProblem | undefined>(),
): FileCheck {
  const parsed = parseFile(file, options);
  const check: FileCheck = {
    file: { absPath: file.absPath, display: file.display },
    manifest: isManifestFile(parsed),
    tasks: [],
    diagnostics: [],
    shared: [],
    identities: [],
    referenced: [],
    skipped: false,
  };
  if (!check.manifest) {
    check.skipped = isSkipped(parsed);
    check.diagnostics = otherFileDiagnostics(file, parsed);
    return check;
  }
  check.diagnostics.push(...parsed.diagnostics);
  const referenced = new Set(mentionedRefs(file));
  for (const doc of parsed.documents) {
    if (doc.empty) continue;
    try {
      const checked = checkManifestDocument(doc, {
        absFile: file.absPath,
        env: options.env,
        schemas: options.schemas,
        refs: options.refs,
        cronVerdicts,
      });
      for (const d of checked.diagnostics) {
        if (d.file === undefined || d.file === file.display) check.diagnostics.push(d);
        else check.shared.push(d);
      }
      if (checked.task) check.tasks.push(checked.task);
      if (checked.identity) check.identities.push(checked.identity);
      for (const f of checked.refFiles) referenced.add(f);
    } catch (error) {
      check.diagnostics.push(internalError(error, doc.locator.file, doc.locator.start));
    }
  }
  check.referenced = [...referenced];
  return check;
}

/** The workspace-wide result of the files' checks: cross-file rules, sorted tasks and capped diagnostics. */
export function combineFileChecks(
  checks: readonly FileCheck[],
  maxProblemsPerFile = MAX_PROBLEMS_PER_FILE,
): CheckedManifests {
  const manifests = checks.filter((check) => check.manifest);
  const referenced = new Set(manifests.flatMap((check) => check.referenced));
  const others = checks.filter((check) => !check.manifest && !referenced.has(check.file.absPath));
  const shared: SharedProblems = new Map();
  for (const check of manifests) for (const d of check.shared) share(shared, d, check.file.display);
  const diagnostics: Diagnostic[] = [];
  const push = (found: readonly Diagnostic[]): void => {
    for (const d of found) diagnostics.push(d);
  };
  for (const check of [...manifests, ...others]) push(check.diagnostics);
  push(sharedDiagnostics(shared));
  push(checkIdentities(manifests.flatMap((check) => check.identities)));
  const counted = [...manifests, ...others.filter((check) => !check.skipped)].map(
    (check) => check.file.display,
  );
  return {
    tasks: manifests.flatMap((check) => check.tasks).sort((a, b) => compareStrings(a.key, b.key)),
    diagnostics: capPerFile(sortDiagnostics(diagnostics), maxProblemsPerFile),
    files: counted.sort(),
  };
}

function parseFile(file: ManifestText, options: CheckManifestsOptions): ParsedFile {
  try {
    return parseYamlDocuments(file.text, file.display, options.refs.limits);
  } catch (error) {
    return { documents: [], diagnostics: [internalError(error, file.display, { line: 1, column: 1 })] };
  }
}

/** A file with a manifest-shaped document (or one titan failed on: reported as a manifest would be). */
const isManifestFile = (parsed: ParsedFile): boolean =>
  parsed.documents.some((d) => d.manifestShaped) || parsed.diagnostics.some((d) => d.code === Code.internal);

/** A YAML file that is no manifest and reads fine: skipped (with a warning). Empty files are simply empty. */
const isSkipped = (parsed: ParsedFile): boolean =>
  !hasErrors(parsed.diagnostics) && parsed.documents.some((d) => !d.empty);

function otherFileDiagnostics(file: ManifestText, parsed: ParsedFile): Diagnostic[] {
  if (hasErrors(parsed.diagnostics)) return parsed.diagnostics;
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
