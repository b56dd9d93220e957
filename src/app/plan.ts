/**
 * The plan use case: read desired (manifests), lock and live state, then plan. `preparePlan` is what `titan plan`,
 * `titan drift` and `titan apply` build on; `runPlan` is `titan plan` itself (render, save, annotate, exit code).
 *
 * Live reads fail closed: one paginated listing, then full reads only for the tasks the planner needs when the
 * listing returned summaries; any failed read fails the plan (exit 1) — it never becomes "create everything".
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { hasErrors, type Diagnostic } from '../core/diagnostics.js';
import { ExitCode, ExitWith, InvalidInputError, OperationalError, RefusedError } from '../core/errors.js';
import type { Lockfile } from '../core/lock/model.js';
import type { DesiredTask, LiveTask } from '../core/model.js';
import { hasChanges, type Plan } from '../core/plan/model.js';
import { assertReplaceKeys, planChanges, tasksNeedingFullRead } from '../core/plan/planner.js';
import { parseTargetSelector } from '../core/plan/selector.js';
import type { SensitiveValues } from '../core/scrub.js';
import { sensitiveValuesOf } from '../core/sensitive.js';
import { NotFoundError } from '../io/api/errors.js';
import type { TaskServiceClient } from '../core/service/types.js';
import { readPendingJournal } from '../io/journal.js';
import { createRecordSchemas } from '../io/record-schemas.js';
import { writeFileAtomic } from '../io/files.js';
import { assertLockOrigin, readLockfile } from '../io/lockfile.js';
import { loadManifests } from '../io/manifests.js';
import type { Workspace } from '../io/workspace.js';
import { renderDiagnostics, renderDiagnosticsGithub } from '../render/diagnostics.js';
import { renderPlanAnnotations } from '../render/github.js';
import { renderPlanJson } from '../render/plan-json.js';
import { renderPlanMarkdown } from '../render/plan-markdown.js';
import { renderPlanText } from '../render/plan-text.js';
import { annotateDeleteImpact } from './delete-impact.js';
import { annotateHistory, DEFAULT_HISTORY_EXECUTIONS } from './history-check.js';
import { toPosix } from './paths.js';
import { readOpenTestTasks } from './test-leftovers.js';
import { loadingOptionsOf, type ManifestLoading } from './manifest-loading.js';

export interface PlanDeps extends ManifestLoading {
  client: TaskServiceClient;
  /** Origin recorded in the plan and compared with the lock's (`local:` for --local). */
  origin: string;
  workspace: Workspace;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Learns the sensitive values of the manifests read, so that every output is scrubbed of them. */
  sensitive?: SensitiveValues;
}

export interface PlanRequest {
  /** Manifest paths as given (default: the working directory). */
  paths: readonly string[];
  targets?: readonly string[];
  replace?: readonly string[];
  allowMassDelete?: boolean;
  allowForeignOrigin?: boolean;
  /**
   * Return a plan that trips a safety guard (its `refusals` non-empty) instead of throwing `RefusedError`:
   * `titan plan` shows such a plan before exiting 4, `titan drift` ignores the guards. Apply leaves it unset.
   */
  keepRefusals?: boolean;
}

export interface PreparedPlan {
  plan: Plan;
  /** Desired tasks by key with their REAL specs (sensitive values unmasked): what apply sends. */
  desired: Map<string, DesiredTask>;
  /** Live tasks by id, full specs where they were read. */
  live: Map<string, LiveTask>;
  lock: Lockfile | null;
  workspace: Workspace;
  /** Manifest warnings (errors throw `InvalidManifestsError`) and the texts they point into. */
  diagnostics: Diagnostic[];
  sources: ReadonlyMap<string, string>;
}

/** The manifests have errors: exit 3 after the diagnostics are printed (they travel with the error). */
export class InvalidManifestsError extends InvalidInputError {
  constructor(
    readonly diagnostics: Diagnostic[],
    /** The manifest texts as they were checked, for source excerpts. */
    readonly sources: ReadonlyMap<string, string>,
  ) {
    const count = diagnostics.filter((d) => d.severity === 'error').length;
    super(
      `The manifests have ${count} error${count === 1 ? '' : 's'}; nothing was planned.`,
      'Fix them (titan validate shows the same report), then plan again.',
    );
  }
}

/** Parallel full reads when the list returned summaries. */
const FULL_READ_CONCURRENCY = 8;

export async function preparePlan(deps: PlanDeps, request: PlanRequest): Promise<PreparedPlan> {
  const { workspace } = deps;
  (request.targets ?? []).forEach(parseTargetSelector); // bad selectors fail before any read
  const paths = request.paths.length > 0 ? [...request.paths] : ['.'];
  const manifests = await loadManifests(paths, {
    cwd: deps.cwd,
    env: deps.env,
    workspaceRoot: workspace.root,
    ...loadingOptionsOf(deps, workspace),
  });
  for (const task of manifests.tasks) deps.sensitive?.add(sensitiveValuesOf(task));
  if (hasErrors(manifests.diagnostics))
    throw new InvalidManifestsError(manifests.diagnostics, manifests.sources);
  assertReplaceKeys(manifests.tasks, request.replace ?? []);
  const lock = await readLockfile(workspace.lockfilePath);
  assertLockOrigin(lock, deps.origin, request.allowForeignOrigin === true);

  const listed = await deps.client.listAllTasks();
  // titan test's temporary tasks (the journal names them) are never adopted, imported or counted as unmanaged.
  const temporary = await readOpenTestTasks(workspace.stateDir);
  const live = new Map<string, LiveTask>();
  for (const task of listed) {
    if (task.status === 'deleted' || temporary.ids.has(task.id) || temporary.names.has(task.name)) continue;
    live.set(task.id, task);
  }
  const needed = tasksNeedingFullRead(manifests.tasks, [...live.values()], lock, {
    replace: request.replace ?? [],
  });
  await readFullTasks(deps.client, needed, live);

  const plan = planChanges(manifests.tasks, [...live.values()], lock, {
    origin: deps.origin,
    replace: request.replace ?? [],
    targets: request.targets ?? [],
    allowMassDelete: request.allowMassDelete === true,
    manifests: {
      paths: paths.map((p) => workspaceRelative(workspace.root, path.resolve(deps.cwd, p))),
      files: manifests.files.map((f) => workspaceRelative(workspace.root, path.resolve(deps.cwd, f))).sort(),
    },
    lockFileBase: toPosix(path.relative(deps.cwd, workspace.root)),
  });
  if (!request.keepRefusals) assertPlanAllowed(plan);
  return {
    plan,
    desired: new Map(manifests.tasks.map((task) => [task.key, task])),
    live,
    lock,
    workspace,
    diagnostics: manifests.diagnostics,
    sources: manifests.sources,
  };
}

/** Throws `RefusedError` (exit 4) naming the tasks and how to proceed when the plan trips a safety guard. */
export function assertPlanAllowed(plan: Plan): void {
  if (plan.refusals.length === 0) return;
  const message = plan.refusals.map((refusal) => refusal.message).join(' ');
  throw new RefusedError(message, plan.refusals.map((refusal) => refusal.hint).join('\n'));
}

/**
 * Full reads of `ids`, a few at a time, replacing the summaries in `live`. Fails closed: any failed read, or a task
 * gone meanwhile, fails the whole read.
 */
export async function readFullTasks(
  client: TaskServiceClient,
  ids: readonly string[],
  live: Map<string, LiveTask>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < ids.length; index = next++) {
      const id = ids[index] as string;
      let task: LiveTask;
      try {
        task = await client.getTask(id);
      } catch (error) {
        if (error instanceof NotFoundError) throw changedWhileReading(id);
        throw error;
      }
      if (task.status === 'deleted' || task.spec === undefined) throw changedWhileReading(id);
      live.set(id, task);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FULL_READ_CONCURRENCY, ids.length) }, worker));
}

const changedWhileReading = (id: string): OperationalError =>
  new OperationalError(
    `Task ${id} was listed but could not be read in full (deleted meanwhile?).`,
    'Someone is changing tasks right now. Run the command again.',
  );

const workspaceRelative = (root: string, absolute: string): string =>
  toPosix(path.relative(root, absolute)) || '.';

// ——— titan plan ———

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface PlanOutput {
  stdout: Writable;
  stderr: Writable;
  /** Colour for the text rendering (TTY, NO_COLOR and --no-color already decided). */
  color: boolean;
  stderrColor: boolean;
}

export interface RunPlanOptions extends Omit<PlanRequest, 'keepRefusals'> {
  format: PlanFormat;
  /** Save the JSON plan here (relative to the working directory). */
  out?: string;
  /** Exit 2 when the plan has changes. */
  detailedExitcode: boolean;
  /**
   * Check the recent records of updates whose output_schema changes against the new schema, reading this many
   * completed executions per task (0: no check). Default: `DEFAULT_HISTORY_EXECUTIONS` for markdown, else 0.
   */
  checkHistory?: number;
}

/**
 * `titan plan`: print the plan, save it with `--out`, annotate it on GitHub Actions, and end with the exit code
 * (0 no changes, 2 changes with --detailed-exitcode, 4 a guard refuses the plan: shown, never saved).
 */
export async function runPlan(deps: PlanDeps, options: RunPlanOptions, output: PlanOutput): Promise<void> {
  const prepared = await withDiagnostics(preparePlan(deps, { ...options, keepRefusals: true }), deps, output);
  const plan = await annotatePlan(deps, prepared, historyExecutions(options));
  await warnAboutPendingJournal(deps.workspace, output);
  output.stdout.write(renderPlan(plan, options.format, output.color));
  if (deps.env.GITHUB_ACTIONS === 'true') await publishToGitHub(plan, deps.env, output.stderr);
  assertPlanAllowed(plan);
  if (options.out !== undefined) {
    const file = path.resolve(deps.cwd, options.out);
    await writeFileAtomic(file, renderPlanJson(plan), { what: `the plan to ${file}` });
    output.stderr.write(
      `Saved the plan to ${options.out}. Apply exactly this plan with: titan apply ${options.out}\n`,
    );
  }
  if (options.detailedExitcode && hasChanges(plan)) throw new ExitWith(ExitCode.changes);
}

/**
 * The reads a reviewer's evidence needs, after planning (the planner is pure): what each delete or replace throws
 * away, and, when asked, how recent records fare against changed output schemas. Failed reads become warnings on
 * their changes; the plan itself never fails here.
 */
async function annotatePlan(deps: PlanDeps, prepared: PreparedPlan, history: number): Promise<Plan> {
  let plan = await annotateDeleteImpact(deps.client, prepared.plan, prepared.live);
  if (history > 0) {
    plan = await annotateHistory(
      { client: deps.client, schemas: createRecordSchemas() },
      plan,
      prepared.desired,
      history,
    );
  }
  return plan;
}

/** On by default where a reviewer reads the plan (markdown, the pull-request comment); see README, Plans. */
const historyExecutions = (options: RunPlanOptions): number =>
  options.checkHistory ?? (options.format === 'markdown' ? DEFAULT_HISTORY_EXECUTIONS : 0);

/** Awaits a prepared plan, writing its manifest diagnostics (see `writeDiagnostics`) whether it succeeds or not. */
export async function withDiagnostics<T extends PreparedPlan>(
  pending: Promise<T>,
  deps: Pick<PlanDeps, 'cwd' | 'env'>,
  output: { stderr: Writable; stderrColor: boolean },
): Promise<T> {
  try {
    const prepared = await pending;
    writeDiagnostics(prepared, deps, output);
    return prepared;
  } catch (error) {
    if (error instanceof InvalidManifestsError) writeDiagnostics(error, deps, output);
    throw error;
  }
}

/** Read-only commands warn about a journal an interrupted apply left: only apply may settle it. */
export async function warnAboutPendingJournal(
  workspace: Workspace,
  output: { stderr: Writable },
): Promise<void> {
  const pending = await readPendingJournal(workspace.stateDir);
  if (pending !== null) output.stderr.write(`Warning: ${pending.warning}\n`);
}

/**
 * Manifest diagnostics on stderr, as `titan validate` shows them (with source excerpts), plus workflow commands
 * on GitHub Actions so they become annotations on the YAML lines.
 */
export function writeDiagnostics(
  report: { diagnostics: readonly Diagnostic[]; sources: ReadonlyMap<string, string> },
  deps: Pick<PlanDeps, 'cwd' | 'env'>,
  output: { stderr: Writable; stderrColor: boolean },
): void {
  const { diagnostics, sources } = report;
  if (diagnostics.length === 0) return;
  const text = renderDiagnostics(diagnostics, { color: output.stderrColor, sources });
  output.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  if (deps.env.GITHUB_ACTIONS === 'true') {
    output.stderr.write(
      renderDiagnosticsGithub(diagnostics, { cwd: deps.cwd, root: deps.env.GITHUB_WORKSPACE }),
    );
  }
}

export function renderPlan(plan: Plan, format: PlanFormat, color: boolean): string {
  if (format === 'json') return renderPlanJson(plan);
  if (format === 'markdown') return renderPlanMarkdown(plan);
  return renderPlanText(plan, { color });
}

/**
 * GitHub Actions: destructive and breaking changes as warning annotations on their manifest lines, and the
 * markdown plan appended to the job summary.
 */
async function publishToGitHub(plan: Plan, env: NodeJS.ProcessEnv, stderr: Writable): Promise<void> {
  for (const line of renderPlanAnnotations(plan)) stderr.write(`${line}\n`);
  const summaryFile = env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    try {
      await appendFile(summaryFile, `${renderPlanMarkdown(plan)}\n`);
    } catch (error) {
      throw new OperationalError(
        `Cannot append the plan to GITHUB_STEP_SUMMARY (${summaryFile}): ${(error as Error).message}`,
      );
    }
  }
}
