/**
 * Test helpers for the GitOps workflow (examples/gitops/.github/workflows/titan.yml): load it, find its steps,
 * run a step's shell script the way the runner does, and run its github-script with a fake GitHub API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const WORKFLOW_PATH = path.join(REPO_ROOT, 'examples/gitops/.github/workflows/titan.yml');

export interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}

export interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean };
  steps: Step[];
  'runs-on': string;
}

export interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export const readWorkflowText = (): string => readFileSync(WORKFLOW_PATH, 'utf8');
export const readWorkflow = (): Workflow => parse(readWorkflowText()) as Workflow;

export function findStep(job: Job, name: string): Step {
  const step = job.steps.find((s) => s.name === name);
  if (!step)
    throw new Error(`no step named "${name}"; steps: ${job.steps.map((s) => s.name ?? s.uses).join(', ')}`);
  return step;
}

export interface StepRun {
  status: number;
  stdout: string;
  stderr: string;
  /** `name=value` pairs the step appended to $GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  summary: string;
}

/**
 * Runs a `run:` step with `bash -e`, as the runner does when no shell is given, in `cwd`, with the runner's
 * files ($GITHUB_OUTPUT, $GITHUB_STEP_SUMMARY, $RUNNER_TEMP) in `runnerTemp`.
 */
export function runStep(
  step: Step,
  options: { cwd: string; runnerTemp: string; env: NodeJS.ProcessEnv },
): StepRun {
  if (step.run === undefined) throw new Error(`step "${step.name}" has no run script`);
  const outputFile = path.join(options.runnerTemp, `output-${Math.random().toString(36).slice(2)}`);
  const summaryFile = path.join(options.runnerTemp, 'step-summary.md');
  writeFileSync(outputFile, '');
  const result = spawnSync('bash', ['-e', '-c', step.run], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: {
      ...options.env,
      GITHUB_ACTIONS: 'true',
      RUNNER_TEMP: options.runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
    },
    timeout: 60_000,
  });
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(outputFile, 'utf8').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  let summary = '';
  try {
    summary = readFileSync(summaryFile, 'utf8');
  } catch {
    summary = '';
  }
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, outputs, summary };
}

/**
 * Evaluates a step or job `if:` made of `steps.X.outputs.Y` / `github.*` references, string literals, `==`, `!=`,
 * `&&` and `||` — the subset this workflow uses — with the given values.
 */
export function evaluateCondition(expression: string, values: Record<string, string>): boolean {
  const js = expression
    .replace(/^\$\{\{\s*|\s*\}\}$/g, '')
    .replace(/[a-z_]+(?:\.[A-Za-z0-9_-]+)+/g, (reference) => {
      if (!(reference in values)) throw new Error(`no value given for ${reference}`);
      return JSON.stringify(values[reference]);
    })
    .replace(/'([^']*)'/g, (_match, literal: string) => JSON.stringify(literal));
  if (!/^[\s"\w\-/.[\]=!&|()]*$/.test(js)) throw new Error(`unsupported expression: ${expression}`);
  return Boolean(new Function(`return (${js});`)());
}

export interface Comment {
  id: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
  html_url: string;
}

/** The slice of the GitHub REST API the comment script uses, in memory, recording every write. */
export function createFakeGitHub(initial: Comment[] = []) {
  const comments = [...initial];
  const writes: { method: 'create' | 'update'; id: number; body: string }[] = [];
  let nextId = 1000;
  const listComments = async (params: { issue_number: number; page?: number; per_page?: number }) => {
    const size = params.per_page ?? 30;
    const page = params.page ?? 1;
    return { data: comments.slice((page - 1) * size, page * size) };
  };
  const github = {
    rest: {
      issues: {
        listComments,
        createComment: async (params: { body: string }) => {
          const comment: Comment = {
            id: nextId++,
            body: params.body,
            user: { login: 'github-actions[bot]', type: 'Bot' },
            html_url: `https://github.example/pr/1#issuecomment-${nextId}`,
          };
          comments.push(comment);
          writes.push({ method: 'create', id: comment.id, body: params.body });
          return { data: comment };
        },
        updateComment: async (params: { comment_id: number; body: string }) => {
          const comment = comments.find((c) => c.id === params.comment_id);
          if (!comment) throw new Error(`no comment ${params.comment_id}`);
          comment.body = params.body;
          writes.push({ method: 'update', id: comment.id, body: params.body });
          return { data: comment };
        },
      },
    },
    // Like Octokit's paginate: call the list method page by page until a short page.
    paginate: async (method: typeof listComments, params: { issue_number: number; per_page?: number }) => {
      const all: Comment[] = [];
      for (let page = 1; ; page++) {
        const { data } = await method({ ...params, page });
        all.push(...data);
        if (data.length < (params.per_page ?? 30)) return all;
      }
    },
  };
  return { github, comments, writes };
}

/**
 * Runs an `actions/github-script` step's script the way the action does: the body of an async function given
 * `github`, `context`, `core` and `require`, with the step's `env` in `process.env`.
 */
export async function runGitHubScript(
  step: Step,
  options: { github: unknown; env: Record<string, string>; issueNumber: number },
): Promise<string[]> {
  const script = step.with?.script;
  if (typeof script !== 'string') throw new Error(`step "${step.name}" has no script`);
  const logs: string[] = [];
  const context = { repo: { owner: 'acme', repo: 'scraping' }, issue: { number: options.issueNumber } };
  const core = { info: (message: string) => logs.push(message) };
  const saved = { ...process.env };
  Object.assign(process.env, options.env);
  try {
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<unknown>;
    const run = new AsyncFunction('github', 'context', 'core', 'require', script);
    await run(options.github, context, core, createRequire(import.meta.url));
  } finally {
    for (const key of Object.keys(options.env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
  return logs;
}

/** The hidden marker the comment script looks for. */
export function commentMarker(step: Step): string {
  const match = /const marker = '([^']+)';/.exec(String(step.with?.script ?? ''));
  if (!match?.[1]) throw new Error('the comment script declares no marker');
  return match[1];
}

export const makeTempDir = (prefix: string): string => mkdtempSync(path.join(tmpdir(), prefix));
