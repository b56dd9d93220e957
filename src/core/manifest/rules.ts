/**
 * Task rules beyond the JSON Schema (titan-api.md A2): schedule iff scheduled and a valid cron, the three
 * mutually exclusive layouts (classic, modular, multi-step), execution plan step rules, template id xor slug,
 * absolute http(s) URLs without duplicates. Each rule looks only at fields of the right type, so a type error
 * already reported by the schema does not cascade. Pure.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { checkCron, type CronProblem } from './cron.js';
import { describeValue, quote } from './describe.js';
import { displayPath, toPointer, type Path, type PathSegment } from './paths.js';

export interface RuleContext {
  /** The interpolated `spec` mapping. */
  spec: JsonObject;
  /** Source location of a document path. */
  place(path: Path, mode: 'key' | 'value'): SourceLocation;
  /** Source location of character `offset` inside the string at a document path. */
  placeInValue(path: Path, offset: number): SourceLocation;
  isSensitive(path: Path): boolean;
  /** Paths whose `${env:…}` could not be resolved: their value is not checked. */
  isUnresolved(path: Path): boolean;
  /** Verdicts on schedules already checked in this load (workspaces repeat a few schedules many times). */
  cronVerdicts?: Map<string, CronProblem | undefined>;
}

const SPEC: PathSegment[] = ['spec'];
/** Actions whose output the template or action describes, so `output_schema` is optional (A2). */
const SCHEMA_OPTIONAL = new Set(['search', 'crawl', 'api_call']);

export function checkTaskRules(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (code, message, path, mode = 'value', hint, subject = path) => {
    out.push({
      code,
      severity: 'error',
      message,
      ...ctx.place(path, mode),
      path: toPointer(subject),
      ...(hint ? { hint } : {}),
    });
  };
  checkSchedule(ctx, report, out);
  checkLayout(ctx, report);
  checkTemplate(ctx, report);
  checkUrls(ctx, report);
  return out;
}

/** `path` is where the diagnostic points; `subject` (default: `path`) is the JSON path it is about. */
type Report = (
  code: string,
  message: string,
  path: Path,
  mode?: 'key' | 'value',
  hint?: string,
  subject?: Path,
) => void;

function checkSchedule(ctx: RuleContext, report: Report, out: Diagnostic[]): void {
  const { spec } = ctx;
  const type = spec.execution_type;
  if (type === 'scheduled' && spec.schedule === undefined) {
    report(
      Code.scheduleMissing,
      'spec.execution_type is scheduled but spec has no schedule',
      [...SPEC, 'execution_type'],
      'value',
      'add a 5-field cron expression in UTC, e.g. schedule: "0 * * * *" (hourly)',
    );
  }
  if (type === 'single' && spec.schedule !== undefined) {
    report(
      Code.scheduleUnexpected,
      'spec.schedule is set but spec.execution_type is single',
      [...SPEC, 'schedule'],
      'key',
      'remove schedule, or set execution_type: scheduled',
    );
  }
  const schedulePath = [...SPEC, 'schedule'];
  if (type === 'scheduled' && typeof spec.schedule === 'string' && !ctx.isUnresolved(schedulePath)) {
    const redact = ctx.isSensitive(schedulePath);
    const memo = `${redact ? 'r' : 'p'}${spec.schedule}`;
    const problem = ctx.cronVerdicts?.has(memo)
      ? ctx.cronVerdicts.get(memo)
      : checkCron(spec.schedule, redact);
    ctx.cronVerdicts?.set(memo, problem);
    if (problem) {
      out.push({
        code: Code.cronInvalid,
        severity: 'error',
        message: `spec.schedule: ${problem.message}`,
        ...ctx.placeInValue(schedulePath, problem.offset),
        path: toPointer(schedulePath),
        ...(problem.hint ? { hint: problem.hint } : {}),
      });
    }
  }
}

function checkLayout(ctx: RuleContext, report: Report): void {
  const { spec } = ctx;
  const has = (field: string): boolean => spec[field] !== undefined;
  if (has('execution_plan')) {
    for (const field of ['action_type', 'input_source']) {
      if (has(field)) {
        report(
          Code.layoutConflict,
          `spec.${field} is not allowed together with spec.execution_plan`,
          [...SPEC, field],
          'key',
          'a multi-step task sets action_type and input_source on each step; remove it here',
        );
      }
    }
    checkSteps(ctx, report);
    return;
  }
  if (has('action_type') || has('input_source')) {
    checkModular(ctx, report);
    return;
  }
  for (const field of ['urls', 'objective', 'output_schema']) {
    if (!has(field)) {
      report(
        Code.schemaRequired,
        `spec is missing required field ${quote(field)}`,
        SPEC,
        'key',
        'a classic task needs urls, objective and output_schema (or set action_type and input_source for a modular task, or an execution_plan)',
        [...SPEC, field],
      );
    }
  }
}

function checkModular(ctx: RuleContext, report: Report): void {
  const { spec } = ctx;
  if (spec.action_type === undefined) {
    report(
      Code.schemaRequired,
      'spec is missing required field "action_type"',
      SPEC,
      'key',
      'input_source makes this a modular task, which needs an action_type',
      [...SPEC, 'action_type'],
    );
    return;
  }
  if (spec.input_source === undefined) {
    report(
      Code.schemaRequired,
      'spec is missing required field "input_source"',
      SPEC,
      'key',
      'a modular task (with action_type) needs an input_source',
      [...SPEC, 'input_source'],
    );
    return;
  }
  if (spec.input_source === 'previous_step') {
    report(
      Code.inputSourceInvalid,
      'spec.input_source is previous_step, but a single-action task has no previous step',
      [...SPEC, 'input_source'],
      'value',
      'use static_urls or task_url_inventory, or write an execution_plan with several steps',
    );
  }
  if (spec.input_source === 'static_urls' && spec.urls === undefined) {
    report(
      Code.schemaRequired,
      'spec is missing required field "urls"',
      SPEC,
      'key',
      "input_source static_urls reads the task's urls",
      [...SPEC, 'urls'],
    );
  }
  if (
    typeof spec.action_type === 'string' &&
    !SCHEMA_OPTIONAL.has(spec.action_type) &&
    spec.output_schema === undefined
  ) {
    report(
      Code.schemaRequired,
      'spec is missing required field "output_schema"',
      SPEC,
      'key',
      `a ${spec.action_type} action needs an output_schema`,
      [...SPEC, 'output_schema'],
    );
  }
}

function checkSteps(ctx: RuleContext, report: Report): void {
  const plan = ctx.spec.execution_plan;
  const steps = isJsonObject(plan) ? plan.steps : undefined;
  if (!Array.isArray(steps)) return;
  steps.forEach((step: JsonValue, index) => {
    if (!isJsonObject(step)) return;
    const at: PathSegment[] = [...SPEC, 'execution_plan', 'steps', index];
    if (index === 0 && step.input_source === 'previous_step') {
      report(
        Code.inputSourceInvalid,
        `${displayPath([...at, 'input_source'])} is previous_step, but the first step has no previous step`,
        [...at, 'input_source'],
        'value',
        'the first step reads static_urls or task_url_inventory',
      );
    }
    if (index === 0 && step.input_source === 'static_urls' && ctx.spec.urls === undefined) {
      report(
        Code.schemaRequired,
        'spec is missing required field "urls"',
        SPEC,
        'key',
        "the first step reads static_urls, the task's urls",
        [...SPEC, 'urls'],
      );
    }
    if (
      typeof step.action_type === 'string' &&
      !SCHEMA_OPTIONAL.has(step.action_type) &&
      step.output_schema === undefined &&
      ctx.spec.output_schema === undefined
    ) {
      report(
        Code.schemaRequired,
        `${displayPath(at)} is missing required field "output_schema"`,
        at,
        'value',
        `a ${step.action_type} step needs an output_schema (on the step, or on the task)`,
        [...at, 'output_schema'],
      );
    }
  });
}

function checkTemplate(ctx: RuleContext, report: Report): void {
  if (ctx.spec.template_id !== undefined && ctx.spec.template_slug !== undefined) {
    report(
      Code.templateConflict,
      'spec sets both template_id and template_slug',
      [...SPEC, 'template_slug'],
      'key',
      'give one of them',
    );
  }
}

function checkUrls(ctx: RuleContext, report: Report): void {
  const urls = ctx.spec.urls;
  if (!Array.isArray(urls)) return;
  const seen = new Map<string, number>();
  urls.forEach((url, index) => {
    const at: PathSegment[] = [...SPEC, 'urls', index];
    if (typeof url !== 'string' || ctx.isUnresolved(at)) return;
    const sensitive = ctx.isSensitive(at);
    const parsed = parseHttpUrl(url);
    if (!parsed) {
      const withScheme = sensitive ? undefined : repairedUrl(url);
      report(
        Code.urlInvalid,
        `${displayPath(at)} is not an absolute http(s) URL (got ${describeValue(url, sensitive)})`,
        at,
        'value',
        withScheme ? `did you mean ${quote(withScheme)}?` : 'write it as https://host/path',
      );
      return;
    }
    const first = seen.get(parsed);
    if (first !== undefined) {
      const firstLine = ctx.place([...SPEC, 'urls', first], 'value').line;
      report(
        Code.urlDuplicate,
        `${displayPath(at)} repeats spec.urls[${first}]${firstLine ? ` (line ${firstLine})` : ''}`,
        at,
        'value',
        'remove the duplicate: each URL is scraped once per run',
      );
    } else seen.set(parsed, index);
  });
}

/** What the user probably meant: `shop.example/a` or `https:shop.example/a` → `https://shop.example/a`. */
function repairedUrl(url: string): string | undefined {
  const bare = /^https?:[\\/]*/i.test(url) ? url.replace(/^(https?):[\\/]*/i, '$1://') : undefined;
  const candidate = bare ?? (/^[a-z][a-z0-9+.-]*:/i.test(url) ? undefined : `https://${url}`);
  return candidate !== undefined && parseHttpUrl(candidate) ? candidate : undefined;
}

/**
 * The normalised form of an absolute http(s) URL with a host, or undefined. The WHATWG parser forgives
 * `https:host/a`, `https:/host` and `https:\\host`; the Task Service and people reading the manifest might not,
 * so the scheme must be followed by `//` as written, and no backslash may stand in for a slash.
 */
function parseHttpUrl(text: string): string | undefined {
  if (/\s|\\/.test(text) || !/^https?:\/\//i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
      ? url.href
      : undefined;
  } catch {
    return undefined;
  }
}
