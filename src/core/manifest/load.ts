/**
 * The pure heart of the loader: manifest file texts in, desired tasks and every diagnostic out. Reading paths
 * and files is the io layer's job (`src/io/manifests.ts`).
 */
import { sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import type { DesiredTask } from '../model.js';
import { Code } from './codes.js';
import type { CronProblem } from './cron.js';
import { checkManifestDocument, type TaskIdentity } from './document.js';
import type { Env } from './interpolate.js';
import type { RefContext } from './refs.js';
import type { ManifestSchemas } from './schema-port.js';
import { checkIdentities } from './workspace.js';
import { parseYamlDocuments } from './yaml.js';

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
}

export interface CheckedManifests {
  /** Every document without errors of its own, sorted by key. */
  tasks: DesiredTask[];
  /** Sorted by file, line, column. */
  diagnostics: Diagnostic[];
  /** Display names of the manifest files (files referenced by `$ref` are schemas, not manifests). */
  files: string[];
}

interface FileOutcome {
  file: ManifestText;
  tasks: DesiredTask[];
  diagnostics: Diagnostic[];
  identities: TaskIdentity[];
}

export function checkManifestTexts(
  files: readonly ManifestText[],
  options: CheckManifestsOptions,
): CheckedManifests {
  const refFiles = new Set<string>();
  const cronVerdicts = new Map<string, CronProblem | undefined>();
  const outcomes: FileOutcome[] = files.map((file) => {
    const outcome: FileOutcome = { file, tasks: [], diagnostics: [], identities: [] };
    let parsed: ReturnType<typeof parseYamlDocuments>;
    try {
      parsed = parseYamlDocuments(file.text, file.display, options.refs.limits);
    } catch (error) {
      outcome.diagnostics.push(internalError(error, file.display, { line: 1, column: 1 }));
      return outcome;
    }
    outcome.diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      try {
        const checked = checkManifestDocument(doc, {
          absFile: file.absPath,
          env: options.env,
          schemas: options.schemas,
          refs: options.refs,
          cronVerdicts,
        });
        outcome.diagnostics.push(...checked.diagnostics);
        if (checked.task) outcome.tasks.push(checked.task);
        if (checked.identity) outcome.identities.push(checked.identity);
        checked.refFiles.forEach((f) => refFiles.add(f));
      } catch (error) {
        outcome.diagnostics.push(internalError(error, doc.locator.file, doc.locator.start));
      }
    }
    return outcome;
  });
  // A YAML file some `$ref` points at is a schema that happens to live among the manifests.
  const manifests = outcomes.filter((o) => !refFiles.has(o.file.absPath));
  const diagnostics = manifests.flatMap((o) => o.diagnostics);
  diagnostics.push(...checkIdentities(manifests.flatMap((o) => o.identities)));
  return {
    tasks: manifests.flatMap((o) => o.tasks).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    diagnostics: sortDiagnostics(diagnostics),
    files: manifests.map((o) => o.file.display).sort(),
  };
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
