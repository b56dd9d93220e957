/**
 * `titan test [paths]`: every task the plan would create, update or replace (or the `--target` selection, or every
 * task with `--all`) runs once on the service, as a temporary single-execution task on a sample of its URLs; its
 * records are checked against the task's desired `output_schema`. The cost is printed before anything starts and
 * a run over `--budget` is refused (exit 4). Temporary tasks are journalled before they are created and deleted
 * after their run — on failure and Ctrl-C too; a kill leaves them in the journal for the next `titan test` or
 * `apply` to delete. Exit 0 when every tested task passed, 2 when one did not (a finding, like drift), 1 when titan
 * could not run the tests, 130 when interrupted.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { TaskTestResult, TestReport, TestStatus } from '../core/evidence/model.js';
import { sensitiveValuesOf, sampleValue } from '../core/evidence/redact.js';
import { checkBudget, recordSchemaOf, sampleUrls, temporarySpec } from '../core/evidence/sample.js';
import { groupViolations } from '../core/evidence/violations.js';
import { ExitCode, ExitWith, RefusedError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { TestTaskRecord } from '../core/lock/journal.js';
import type { DesiredTask } from '../core/model.js';
import type { Execution } from '../core/service/types.js';
import { appendJournalRecords, dropJournalRecords } from '../io/journal.js';
import { createRecordSchemas, type RecordSchemas } from '../io/record-schemas.js';
import { acquireWorkspaceLock, type LockEnvironment } from '../io/workspace-lock.js';
import { renderTestJson, renderTestMarkdown, renderTestText } from '../render/test-report.js';
import { mapBounded } from './bounded.js';
import { interruptionFrom } from './interruption.js';
import { preparePlan, withDiagnostics, type PlanDeps } from './plan.js';
import { readRecords } from './read-records.js';
import { waitForExecution } from './runtime/poll.js';
import { deleteTestLeftovers, TEST_TASK_PREFIX } from './test-leftovers.js';

export interface TestDeps extends PlanDeps {
  lockEnvironment: LockEnvironment;
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ctrl-C/SIGTERM: stop waiting, delete the temporary tasks, exit 130/143. */
  signal: AbortSignal;
  pollIntervalMs: number;
}

export interface TestOptions {
  paths: readonly string[];
  targets: readonly string[];
  all: boolean;
  sample: number;
  budget?: number;
  format: 'text' | 'markdown' | 'json';
  timeoutMs?: number;
  lockTimeoutMs: number;
  allowForeignOrigin: boolean;
}

export interface TestOutput {
  stdout: Writable;
  stderr: Writable;
  color: boolean;
  stderrColor: boolean;
}

/** Records read per tested execution (a sample run yields few; this bounds a runaway one). */
const MAX_RECORDS = 1000;
const SAMPLES_SHOWN = 3;
const CONCURRENCY = 4;

interface Candidate {
  task: DesiredTask;
  reason: string;
  urls: string[];
}

export async function runTests(deps: TestDeps, options: TestOptions, output: TestOutput): Promise<void> {
  const prepared = await withDiagnostics(
    preparePlan(deps, {
      paths: options.paths,
      targets: options.targets,
      keepRefusals: true,
      allowForeignOrigin: options.allowForeignOrigin,
    }),
    deps,
    output,
  );
  const candidates = candidatesOf(prepared.plan.changes, prepared.desired, options);
  const verdict = checkBudget(
    candidates.map((c) => c.urls.length),
    options.budget,
  );
  const report: TestReport = {
    format_version: 1,
    origin: deps.origin,
    sample_size: options.sample,
    budget: verdict.budget,
    urls: verdict.urls,
    tasks: [],
    summary: { passed: 0, failed: 0, 'no-records': 0, 'execution-failed': 0 },
    notes: [],
  };
  output.stderr.write(
    `titan test: ${candidates.length} task(s), ${verdict.urls} URL(s) to run (at most ${options.sample} per task)` +
      `${verdict.budget === null ? '' : `, budget ${verdict.budget}`}.\n`,
  );
  if (!verdict.allowed) {
    throw new RefusedError(
      `Refusing to run ${verdict.urls} URL(s): the budget is ${verdict.budget} (--budget); nothing was run.`,
      'Raise --budget, lower --sample, or test fewer tasks with --target.',
    );
  }
  const lock = await acquireWorkspaceLock(
    {
      stateDir: deps.workspace.stateDir,
      command: 'test',
      timeoutMs: options.lockTimeoutMs,
      signal: deps.signal,
    },
    deps.lockEnvironment,
  );
  try {
    const leftovers = await deleteTestLeftovers(deps.client, deps.workspace.stateDir, deps.now);
    if (leftovers.length > 0) {
      report.notes.push(`Deleted ${leftovers.length} temporary task(s) an interrupted titan test left.`);
      output.stderr.write(
        `Deleted ${leftovers.length} temporary task(s) an interrupted titan test left: ${leftovers.join(', ')}\n`,
      );
    }
    const run = randomUUID().slice(0, 8);
    const schemas = createRecordSchemas();
    const journal = serialJournal(deps.workspace.stateDir);
    report.tasks = await mapBounded(candidates, CONCURRENCY, (candidate) =>
      testOne(deps, options, schemas, journal, run, candidate),
    );
  } finally {
    await lock.release();
  }
  if (deps.signal.aborted)
    throw interruptionFrom(deps.signal.reason, 'Interrupted; the temporary tasks were deleted.');
  for (const result of report.tasks) report.summary[result.status]++;
  output.stdout.write(render(report, options.format, output.color));
  if (report.tasks.some((t) => t.status !== 'passed')) throw new ExitWith(ExitCode.changes);
}

function render(report: TestReport, format: TestOptions['format'], color: boolean): string {
  if (format === 'json') return renderTestJson(report);
  if (format === 'markdown') return renderTestMarkdown(report);
  return renderTestText(report, { color });
}

/** What the plan would create, update or replace — or the selection (`--target`, `--all`) — with their samples. */
function candidatesOf(
  changes: readonly { action: string; key: string }[],
  desired: ReadonlyMap<string, DesiredTask>,
  options: TestOptions,
): Candidate[] {
  const picked = options.all
    ? [...desired.keys()].sort().map((key) => ({ key, reason: 'selected' }))
    : changes
        .filter(
          (c) =>
            ['create', 'update', 'replace'].includes(c.action) ||
            (options.targets.length > 0 && c.action !== 'delete'),
        )
        .map((c) => ({
          key: c.key,
          reason: ['create', 'update', 'replace'].includes(c.action) ? c.action : 'selected',
        }));
  return picked.flatMap(({ key, reason }) => {
    const task = desired.get(key);
    return task === undefined
      ? []
      : [{ task, reason, urls: sampleUrls(task.spec.urls ?? [], options.sample) }];
  });
}

/** One temporary task: journal, create, run, wait, read, check — and delete, whatever happened. */
async function testOne(
  deps: TestDeps,
  options: TestOptions,
  schemas: RecordSchemas,
  journalOf: SerialJournal,
  run: string,
  { task, reason, urls }: Candidate,
): Promise<TaskTestResult> {
  const result: TaskTestResult = {
    key: task.key,
    reason,
    status: 'execution-failed',
    source: `${task.source.file}:${task.source.line}`,
    urls_total: task.spec.urls?.length ?? 0,
    urls_tested: urls.length,
    samples: [],
  };
  if (deps.signal.aborted) return { ...result, error: 'not run: interrupted' };
  const name = `${TEST_TASK_PREFIX} ${run} ${task.key}`;
  const journal = (phase: TestTaskRecord['phase'], id?: string): Promise<void> =>
    appendJournalRecords(deps.workspace.stateDir, [
      { t: 'test', phase, name, ...(id ? { id } : {}), at: deps.now().toISOString() },
    ]);
  await journal('intent');
  let id: string | undefined;
  try {
    id = (await deps.client.createTask(temporarySpec(task.spec, name, urls))).id;
    await journal('created', id);
    const execution = await waitFor(deps, options, await deps.client.runTask(id));
    result.execution_id = execution.id;
    result.execution_status = execution.status;
    if (execution.status !== 'completed' && execution.status !== 'completed_with_errors') {
      result.error = execution.error ?? `the execution was ${execution.status}`;
      return result;
    }
    await check(deps, schemas, task, execution, result);
    return result;
  } catch (error) {
    result.error = deps.signal.aborted ? 'interrupted' : (error as Error).message;
    return result;
  } finally {
    if (id !== undefined) await removeTemporary(deps, journalOf, id, name);
  }
}

async function waitFor(deps: TestDeps, options: TestOptions, execution: Execution): Promise<Execution> {
  const startedAt = Date.now();
  const outcome = await waitForExecution({
    client: deps.client,
    execution,
    initialIntervalMs: deps.pollIntervalMs,
    timeoutMs: options.timeoutMs,
    startedAt,
    now: () => Date.now(),
    sleep: deps.sleep,
    signal: deps.signal,
    onUpdate: () => {},
  });
  if (outcome.kind === 'terminal') return outcome.execution;
  // The run is abandoned with its task: stop it so it costs no more.
  await deps.client.stopExecution(outcome.execution.id).catch(() => undefined);
  throw new Error(
    outcome.kind === 'timeout' ? 'the execution did not finish within --timeout' : 'interrupted',
  );
}

async function check(
  deps: TestDeps,
  schemas: RecordSchemas,
  task: DesiredTask,
  execution: Execution,
  result: TaskTestResult,
): Promise<void> {
  const { records } = await readRecords(deps.client, execution.id, MAX_RECORDS);
  const sensitive = sensitiveValuesOf(task.spec, task.sensitivePaths);
  result.samples = records.slice(0, SAMPLES_SHOWN).map((r) => sampleValue(r as JsonValue, sensitive));
  if (records.length === 0) {
    result.status = 'no-records';
    return;
  }
  const schema = recordSchemaOf(task.spec);
  if (schema === undefined) {
    result.unchecked = true;
    result.status = 'passed';
    return;
  }
  const validate = schemas.validatorFor(schema as JsonObject);
  result.check = groupViolations(records.map(validate), { sensitiveValues: sensitive });
  result.status = (result.check.failing > 0 ? 'failed' : 'passed') satisfies TestStatus;
}

/** Deleted even after Ctrl-C (the signal is not passed on); a failure leaves the journal record for the next run. */
async function removeTemporary(
  deps: TestDeps,
  journal: SerialJournal,
  id: string,
  name: string,
): Promise<void> {
  try {
    await deps.client.deleteTask(id);
  } catch {
    return; // still open in the journal: the next titan test or apply deletes it
  }
  await journal.append({ t: 'test', phase: 'deleted', name, id, at: deps.now().toISOString() });
  await journal.drop(name);
}

interface SerialJournal {
  append(record: TestTaskRecord): Promise<void>;
  /** Removes a deleted task's records. */
  drop(name: string): Promise<void>;
}

/** Journal writes one at a time: a rewrite that drops records must never lose an append made meanwhile. */
function serialJournal(stateDir: string): SerialJournal {
  let tail: Promise<void> = Promise.resolve();
  const enqueue = (op: () => Promise<void>): Promise<void> => {
    const run = tail.then(op);
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    append: (record) => enqueue(() => appendJournalRecords(stateDir, [record])),
    drop: (name) => enqueue(() => dropJournalRecords(stateDir, (r) => r.t === 'test' && r.name === name)),
  };
}
