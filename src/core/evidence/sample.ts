/**
 * What a test run costs and runs (pure): the URLs sampled from each task, and the budget arithmetic that decides
 * whether it may start.
 */
import type { TaskSpec } from '../model.js';

/** Executions a history check reads when `--check-history` is given without a number, and the most it may. */
export const DEFAULT_HISTORY_EXECUTIONS = 3;
export const MAX_HISTORY_EXECUTIONS = 10;

/** URLs per task when `--sample` is not given: enough to see records, cheap enough to run on every pull request. */
export const DEFAULT_SAMPLE = 3;

/**
 * `count` of `urls`, spread evenly from the first to the last (the same every time for the same list): the ends of
 * a list are where URL patterns most often differ. All of them when there are no more than `count`.
 */
export function sampleUrls(urls: readonly string[], count: number): string[] {
  if (count <= 0) return [];
  if (urls.length <= count) return [...urls];
  if (count === 1) return [urls[0] as string];
  const picked: string[] = [];
  for (let i = 0; i < count; i++)
    picked.push(urls[Math.round((i * (urls.length - 1)) / (count - 1))] as string);
  return picked;
}

/**
 * The body of the temporary task that tests `spec`: the same task (steps, template, proxies, schema) run once
 * (`single`, no schedule) on `urls`, under `name`.
 */
export function temporarySpec(spec: TaskSpec, name: string, urls: readonly string[]): TaskSpec {
  const { schedule: _schedule, ...rest } = spec;
  void _schedule;
  return { ...rest, name, execution_type: 'single', ...(spec.urls === undefined ? {} : { urls: [...urls] }) };
}

export interface BudgetVerdict {
  /** URLs the run would fetch. */
  urls: number;
  budget: number | null;
  allowed: boolean;
}

/** The run may start when its URLs fit in the budget (no budget: always). */
export function checkBudget(urlsPerTask: readonly number[], budget: number | undefined): BudgetVerdict {
  const urls = urlsPerTask.reduce((sum, n) => sum + n, 0);
  return { urls, budget: budget ?? null, allowed: budget === undefined || urls <= budget };
}

/** The schema a task's records follow: a multi-step task's last step's own, else the task's. */
export function recordSchemaOf(spec: TaskSpec): TaskSpec['output_schema'] {
  const steps = spec.execution_plan?.steps ?? [];
  return steps[steps.length - 1]?.output_schema ?? spec.output_schema;
}
