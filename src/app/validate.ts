/**
 * `titan validate`: load the manifests (the same loader plan and apply use), print every diagnostic in the chosen
 * format and a summary line, and finish with exit 0 (valid) or 3 (invalid; warnings count with --strict).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { ExitCode, ExitWith } from '../core/errors.js';
import { loadManifests } from '../io/manifests.js';
import { resolveWorkspace } from '../io/workspace.js';
import {
  renderDiagnostics,
  renderDiagnosticsGithub,
  renderDiagnosticsJson,
  renderValidationSummary,
} from '../render/diagnostics.js';

export type ValidateFormat = 'text' | 'json' | 'github';

export interface ValidateDeps {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  /** Colour for the text rendering (TTY, NO_COLOR and --no-color already decided). */
  color: boolean;
}

export interface ValidateRequest {
  paths: string[];
  strict: boolean;
  /** Default: github under GitHub Actions, else text. */
  format?: ValidateFormat;
  workspace?: string;
}

export async function runValidate(deps: ValidateDeps, request: ValidateRequest): Promise<void> {
  const workspace = resolveWorkspace(request.paths, deps.cwd, request.workspace);
  const loaded = await loadManifests(request.paths, {
    cwd: deps.cwd,
    env: deps.env,
    workspaceRoot: workspace.root,
  });
  const format = request.format ?? (deps.env.GITHUB_ACTIONS === 'true' ? 'github' : 'text');
  const summary = {
    taskCount: loaded.tasks.length,
    fileCount: loaded.files.length,
    diagnostics: loaded.diagnostics,
    strict: request.strict,
  };
  if (format === 'json') {
    deps.stdout.write(renderDiagnosticsJson(loaded.diagnostics));
  } else if (format === 'github') {
    deps.stdout.write(renderDiagnosticsGithub(loaded.diagnostics));
    deps.stdout.write(renderValidationSummary({ ...summary, color: false }));
  } else {
    const sources = await readSources(loaded.diagnostics, deps.cwd);
    const report = renderDiagnostics(loaded.diagnostics, { color: deps.color, sources });
    deps.stdout.write(report === '' ? '' : `${report}\n`);
    deps.stdout.write(renderValidationSummary({ ...summary, color: deps.color }));
  }
  const errors = loaded.diagnostics.some((d) => d.severity === 'error');
  if (errors || (request.strict && loaded.diagnostics.length > 0)) throw new ExitWith(ExitCode.invalidInput);
}

/** The texts of the files diagnostics point into, for source excerpts (a file that cannot be read gets none). */
async function readSources(diagnostics: readonly Diagnostic[], cwd: string): Promise<Map<string, string>> {
  const files = new Set(
    diagnostics.filter((d) => d.file !== undefined && d.line !== undefined).map((d) => d.file as string),
  );
  const sources = new Map<string, string>();
  for (const file of files) {
    const text = await readFile(path.resolve(cwd, file), 'utf8').catch(() => undefined);
    if (text !== undefined && text.length <= 4 * 1024 * 1024) sources.set(file, text);
  }
  return sources;
}
