/**
 * `titan validate`: load the manifests (the same loader plan and apply use), print every diagnostic in the chosen
 * format and a summary line, and finish with exit 0 (valid) or 3 (invalid; warnings count with --strict).
 */
import { ExitCode, ExitWith } from '../core/errors.js';
import { CODE_MEANINGS } from '../core/manifest/codes.js';
import { loadManifests } from '../io/manifests.js';
import { resolveWorkspace } from '../io/workspace.js';
import {
  renderCodeList,
  renderDiagnostics,
  renderDiagnosticsGithub,
  renderDiagnosticsJson,
  renderValidationSummary,
} from '../render/diagnostics.js';
import { loadingOptionsOf, type ManifestLoading } from './manifest-loading.js';

export type ValidateFormat = 'text' | 'json' | 'github';

export interface ValidateDeps extends ManifestLoading {
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
    ...loadingOptionsOf(deps, workspace),
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
    const root = deps.env.GITHUB_WORKSPACE;
    deps.stdout.write(
      renderDiagnosticsGithub(loaded.diagnostics, { cwd: deps.cwd, ...(root ? { root } : {}) }),
    );
    deps.stdout.write(renderValidationSummary({ ...summary, color: false }));
  } else {
    // Excerpts come from the texts the loader checked, never from a second read of the files.
    const report = renderDiagnostics(loaded.diagnostics, { color: deps.color, sources: loaded.sources });
    deps.stdout.write(report === '' ? '' : `${report}\n`);
    deps.stdout.write(renderValidationSummary({ ...summary, color: deps.color }));
  }
  const errors = loaded.diagnostics.some((d) => d.severity === 'error');
  if (errors || (request.strict && loaded.diagnostics.length > 0)) throw new ExitWith(ExitCode.invalidInput);
}

/** `titan validate --list-codes`: what each diagnostic code means, for people and for CI scripts. */
export function runListCodes(deps: Pick<ValidateDeps, 'stdout'>): void {
  deps.stdout.write(renderCodeList(CODE_MEANINGS));
}
