/**
 * `titan apply [paths | PLANFILE]`: under the workspace lock, settle what an interrupted run left, plan (or check
 * a saved plan), confirm, run the changes with bounded concurrency while journalling every write, compact the
 * lock, report, and optionally verify by planning again.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { ExitCode, type InterruptedError, OperationalError, RefusedError } from '../core/errors.js';
import type { Lockfile } from '../core/lock/model.js';
import { hasChanges, type Plan } from '../core/plan/model.js';
import type { JournalOptions } from '../io/journal.js';
import { readPlanFile } from '../io/plan-file.js';
import { acquireWorkspaceLock, type LockEnvironment, type WorkspaceLock } from '../io/workspace-lock.js';
import {
  renderApplyReport,
  renderChangeLine,
  renderProgressLine,
  type ApplyReport,
  type ChangeResult,
} from '../render/apply-events.js';
import { NO_CHANGES } from '../render/plan-shared.js';
import { renderPlanText } from '../render/plan-text.js';
import { deleteTestLeftovers } from './test-leftovers.js';
import { ApplySession, recoverWorkspace, type Recovered, type SessionDeps } from './apply-session.js';
import { runChanges, type RunControls, type RunInput } from './apply-run.js';
import { interruptionFrom } from './interruption.js';
import { preparePlan, withDiagnostics, type PlanDeps, type PreparedPlan } from './plan.js';
import { checkSavedPlan } from './saved-plan.js';

export interface Terminal {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable;
  color: boolean;
  stderrColor: boolean;
  /** Asks a yes/no question on the terminal; undefined when there is none (CI, pipes). */
  ask?: (question: string, signal: AbortSignal) => Promise<string>;
}

export interface ApplyDeps extends PlanDeps {
  terminal: Terminal;
  lockEnvironment: LockEnvironment;
  controls: RunControls;
  now: () => Date;
  /** Resolves after `ms`, or early (or rejecting) once `signal` is aborted. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** How long after it is sent a create may still take effect (default `DEFAULT_CREATE_WINDOW_MS`). */
  createWindowMs?: number;
  /** Test hooks (inert unless set): journal durability and compaction boundaries. */
  journal?: JournalOptions;
  onBoundary?: (label: string) => void;
}

export interface ApplyOptions {
  paths: string[];
  /** Apply exactly this saved plan (relative to the working directory). */
  planFile?: string;
  autoApprove: boolean;
  parallelism: number;
  continueOnError: boolean;
  verify: boolean;
  lockTimeoutMs: number;
  allowMassDelete: boolean;
  allowForeignOrigin: boolean;
  replace: string[];
  targets: string[];
}

/** How a caller produces the plan to apply (fresh, saved, or the destroy plan), once the lock is settled. */
export type PlanSource = (deps: ApplyDeps) => Promise<PreparedPlan & { note?: string }>;

export async function runApply(deps: ApplyDeps, options: ApplyOptions): Promise<void> {
  const freshWith =
    (replace: string[]): PlanSource =>
    (d) =>
      preparePlan(d, {
        paths: options.paths,
        targets: options.targets,
        replace,
        allowMassDelete: options.allowMassDelete,
        allowForeignOrigin: options.allowForeignOrigin,
      });
  const fresh = freshWith(options.replace);
  // `--verify` plans without `--replace`: the replacement is done, and asking for it again never converges.
  const verifyFresh = freshWith([]);
  const { planFile } = options;
  if (planFile === undefined) {
    await applyPlan(deps, { ...options, verifyPlan: verifyFresh }, 'apply', fresh);
    return;
  }
  // Read once, when the lock is held and settled: the apply and its `--verify` share it.
  let saved: Promise<Plan> | undefined;
  const readSaved = (): Promise<Plan> => (saved ??= readPlanFile(path.resolve(deps.cwd, planFile)));
  // `--verify` after a saved plan plans afresh from the same manifests and options (the saved one is spent).
  const verifyPlan: PlanSource = async (d) =>
    preparePlan(d, {
      ...savedPlanRequest(d, await readSaved()),
      replace: [],
      allowForeignOrigin: options.allowForeignOrigin,
    });
  // A saved plan is the reviewed artifact: applying it is the approval (as `terraform apply PLAN`).
  await applyPlan(deps, { ...options, autoApprove: true, verifyPlan }, 'apply', async (d) =>
    prepareSavedPlan(d, options, planFile, await readSaved()),
  );
}

/** The manifest paths and options a saved plan was made with, as a plan request. */
function savedPlanRequest(deps: ApplyDeps, saved: Plan) {
  return {
    paths: saved.manifests.paths.map((p) => path.resolve(deps.workspace.root, p)),
    targets: saved.options.targets,
    replace: saved.options.replace,
    allowMassDelete: saved.options.allow_mass_delete,
  };
}

/** The shared body of `apply` and `destroy`. */
export async function applyPlan(
  deps: ApplyDeps,
  options: Pick<
    ApplyOptions,
    'autoApprove' | 'parallelism' | 'continueOnError' | 'verify' | 'lockTimeoutMs' | 'allowForeignOrigin'
  > & { verifyPlan?: PlanSource },
  command: string,
  source: PlanSource,
): Promise<void> {
  const { terminal } = deps;
  const { lock, recovered } = await lockAndRecover(deps, options, command);
  try {
    throwIfStopped(deps.controls);
    const prepared = await withDiagnostics(source(deps), deps, deps.terminal);
    const { plan } = prepared;
    if (prepared.note !== undefined) terminal.stderr.write(`${prepared.note}\n`);
    if (hasChanges(plan)) {
      terminal.stdout.write(renderPlanText(plan, { color: terminal.color }));
      await confirm(deps, options.autoApprove);
    } else {
      terminal.stdout.write(`${NO_CHANGES}\n`);
    }
    const report = await execute(deps, options, prepared, recovered.lock);
    if (report.results.length > 0 || report.lockfile.changed || report.interrupted !== undefined) {
      terminal.stdout.write(renderApplyReport(report, { color: terminal.color }));
    }
    if (report.interrupted !== undefined) throw interruption(deps.controls);
    const failed = report.results.filter((r) => r.status === 'failed').length;
    if (failed > 0) {
      throw new OperationalError(
        `${failed} change(s) failed; the report above lists them.`,
        options.continueOnError
          ? undefined
          : 'Changes not attempted run with the next apply (or use --continue-on-error).',
      );
    }
    if (options.verify) await verify(deps, options.verifyPlan ?? source);
  } finally {
    await lock.release();
  }
}

/**
 * Takes the workspace lock, then settles what an interrupted apply left in the journal (reporting it). The
 * caller releases the lock.
 */
export async function lockAndRecover(
  deps: ApplyDeps,
  options: Pick<ApplyOptions, 'lockTimeoutMs' | 'allowForeignOrigin'>,
  command: string,
): Promise<{ lock: WorkspaceLock; recovered: Recovered }> {
  const lock = await acquireWorkspaceLock(
    {
      stateDir: deps.workspace.stateDir,
      command,
      timeoutMs: options.lockTimeoutMs,
      signal: deps.controls.stop,
    },
    deps.lockEnvironment,
  );
  try {
    await reportTestLeftovers(deps);
    const recovered = await recoverWorkspace(
      { ...toSessionDeps(deps), allowForeignOrigin: options.allowForeignOrigin },
      deps.client,
    );
    if (recovered.notes.length > 0) {
      deps.terminal.stderr.write(
        `Settled ${recovered.notes.length} write(s) left by an interrupted apply:\n${recovered.notes.map((n) => `  ${n}`).join('\n')}\n`,
      );
    }
    return { lock, recovered };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Temporary tasks an interrupted `titan test` left go first: the journal is settled (and removed) next. */
async function reportTestLeftovers(deps: ApplyDeps): Promise<void> {
  const deleted = await deleteTestLeftovers(deps.client, deps.workspace.stateDir, deps.now);
  if (deleted.length > 0) {
    deps.terminal.stderr.write(
      `Deleted ${deleted.length} temporary task(s) an interrupted titan test left: ${deleted.join(', ')}\n`,
    );
  }
}

/** The session side of `deps` (also used by import). */
export function toSessionDeps(deps: ApplyDeps): SessionDeps {
  const session: SessionDeps = {
    workspace: deps.workspace,
    origin: deps.origin,
    now: deps.now,
    newId: randomUUID,
    warn: (message) => deps.terminal.stderr.write(`Warning: ${message}\n`),
    notice: (message) => deps.terminal.stderr.write(`${message}\n`),
    sleep: deps.sleep,
    stop: deps.controls.stop,
  };
  if (deps.createWindowMs !== undefined) session.createWindowMs = deps.createWindowMs;
  if (deps.journal !== undefined) session.journal = deps.journal;
  if (deps.onBoundary !== undefined) session.onBoundary = deps.onBoundary;
  return session;
}

/** Manifest problems as `titan plan` reports them (with excerpts, and annotations on GitHub Actions). */
function throwIfStopped(controls: RunControls): void {
  if (controls.stop.aborted || controls.abort.aborted) throw interruption(controls);
}

const interruption = (controls: RunControls): InterruptedError =>
  interruptionFrom(controls.stop.reason ?? controls.abort.reason, 'Interrupted; nothing more was sent.');

/** TTY: ask (y/N). No terminal: `--auto-approve` is the only way through. */
async function confirm(deps: ApplyDeps, autoApprove: boolean): Promise<void> {
  if (autoApprove) return;
  const { ask } = deps.terminal;
  if (ask === undefined) {
    throw new RefusedError(
      'Confirmation required (use --auto-approve in CI); nothing was applied.',
      'titan asks before changing the service when it runs on a terminal; elsewhere pass --auto-approve.',
    );
  }
  const answer = await ask('Apply these changes? Only "y" or "yes" applies them. (y/N) ', deps.controls.stop);
  throwIfStopped(deps.controls);
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    deps.terminal.stdout.write('Not applied.\n');
    throw new RefusedError(
      'Not confirmed; nothing was applied.',
      'Answer "y" or "yes" to apply the changes shown. In CI and scripts, review with titan plan and pass --auto-approve.',
    );
  }
}

async function execute(
  deps: ApplyDeps,
  options: Pick<ApplyOptions, 'parallelism' | 'continueOnError'>,
  prepared: PreparedPlan,
  recovered: Lockfile | null,
): Promise<ApplyReport> {
  const started = deps.now().getTime();
  const session = await ApplySession.open(toSessionDeps(deps), recovered, randomUUID());
  const progress = createProgress(deps, prepared.plan, started);
  const input: RunInput = { plan: prepared.plan, desired: prepared.desired, live: prepared.live };
  let results: ChangeResult[];
  try {
    results = await runChanges(
      input,
      {
        client: deps.client,
        session,
        controls: deps.controls,
        now: deps.now,
        sleep: deps.sleep,
        random: deps.random,
        onResult: progress.finished,
      },
      {
        parallelism: options.parallelism,
        continueOnError: options.continueOnError,
        cwd: deps.cwd,
        workspaceRoot: deps.workspace.root,
      },
    );
  } finally {
    progress.close();
  }
  const finish = await session.finish();
  const report: ApplyReport = {
    results,
    durationMs: deps.now().getTime() - started,
    unsettled: finish.unsettled,
    lockfile: {
      path: path.relative(deps.cwd, deps.workspace.lockfilePath) || deps.workspace.lockfilePath,
      serial: finish.lock?.serial ?? 0,
      changed: finish.changed,
    },
  };
  if (deps.controls.stop.aborted || deps.controls.abort.aborted)
    report.interrupted = interruption(deps.controls).exitCode === ExitCode.terminated ? 'SIGTERM' : 'SIGINT';
  return report;
}

/** Progress: a live line on a TTY, one line per finished change otherwise. */
function createProgress(deps: ApplyDeps, plan: Plan, started: number) {
  const { stdout } = deps.terminal;
  const total = plan.changes.filter((change) => change.action !== 'noop').length;
  let done = 0;
  let failed = 0;
  const live = stdout.isTTY === true && total > 0;
  const draw = (): void => {
    const stopping = deps.controls.stop.aborted ? 'stopping: waiting for writes in flight' : undefined;
    const line = renderProgressLine(
      { done, failed, total, elapsedMs: deps.now().getTime() - started, ...(stopping ? { stopping } : {}) },
      stdout.columns ?? 80,
    );
    stdout.write(`\r\x1b[2K${line}`);
  };
  const timer = live ? setInterval(draw, 250) : undefined;
  timer?.unref();
  return {
    finished(result: ChangeResult): void {
      if (result.status === 'failed') failed++;
      else done++;
      const line = renderChangeLine(result, done + failed, total, { color: deps.terminal.color });
      stdout.write(live ? `\r\x1b[2K${line}\n` : `${line}\n`);
      if (live) draw();
    },
    close(): void {
      if (timer !== undefined) clearInterval(timer);
      if (live) stdout.write('\r\x1b[2K');
    },
  };
}

/** `--verify`: plan again; anything left to change means the apply did not converge (exit 1). */
async function verify(deps: ApplyDeps, source: PlanSource): Promise<void> {
  const again = await source(deps);
  if (!hasChanges(again.plan)) {
    deps.terminal.stdout.write('Verified: a new plan has no changes.\n');
    return;
  }
  deps.terminal.stdout.write(renderPlanText(again.plan, { color: deps.terminal.color }));
  const keys = again.plan.changes.filter((c) => c.action !== 'noop').map((c) => c.key);
  throw new OperationalError(
    `Not converged: a new plan still has ${keys.length} change(s) (${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''}).`,
    'Someone may be changing tasks at the same time, or the service normalises a field titan sends; run titan plan to see.',
  );
}

/** A saved plan: re-plan from the same manifests and options, and refuse if anything it relied on changed. */
async function prepareSavedPlan(
  deps: ApplyDeps,
  options: ApplyOptions,
  file: string,
  saved: Plan,
): Promise<PreparedPlan & { note?: string }> {
  if (saved.origin !== deps.origin && !options.allowForeignOrigin) {
    throw new RefusedError(
      `The plan ${file} was made against ${saved.origin}, but this run talks to ${deps.origin}; nothing was applied.`,
      `Apply it against ${saved.origin}, or make a new plan here.`,
    );
  }
  const fresh = await preparePlan(deps, {
    ...savedPlanRequest(deps, saved),
    allowForeignOrigin: options.allowForeignOrigin,
  });
  const check = checkSavedPlan(saved, fresh.plan, fresh.live);
  if (check.problems.length > 0) {
    throw new RefusedError(
      `The saved plan ${file} is stale: ${check.problems.length} thing(s) changed since it was made; nothing was applied.\n` +
        check.problems.map((p) => `  - ${p}`).join('\n'),
      `Make and review a new plan: titan plan --out ${file}` +
        (saved.lock !== null && fresh.lock !== null && saved.lock.lineage !== fresh.lock.lineage
          ? `\nIf the plan belongs to another workspace, pass --workspace DIR.`
          : ''),
    );
  }
  const savedKeys = new Set(saved.changes.map((c) => c.key));
  const plan: Plan = { ...fresh.plan, changes: fresh.plan.changes.filter((c) => savedKeys.has(c.key)) };
  const note =
    check.extra.length > 0
      ? `${check.extra.length} change(s) not in the saved plan are left for the next plan: ${check.extra.join(', ')}.`
      : undefined;
  return { ...fresh, plan, ...(note !== undefined ? { note } : {}) };
}
