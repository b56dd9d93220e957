/**
 * Task body validation (titan-api.md A2). Pure: answers the first problem as `field: message`, which the server
 * sends as a 400 `BAD_REQUEST`.
 */
import { CronExpressionParser } from 'cron-parser';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { COUNTRY_CODES } from '../core/manifest/countries.js';
import { ACTION_TYPES, EXECUTION_TYPES, INPUT_SOURCES, TASK_SPEC_FIELDS } from '../core/model.js';
import type { SchemaChecker } from './schema-check.js';

export interface ValidationContext {
  allowUnknownFields: boolean;
  templateExists(idOrSlug: { id?: string; slug?: string }): boolean;
  checkSchema: SchemaChecker;
}

const WRITABLE = new Set<string>(TASK_SPEC_FIELDS);
const SERVER_OWNED = new Set(['id', 'status', 'created_at', 'updated_at']);
const STEP_FIELDS = new Set([
  'action_type',
  'input_source',
  'template_slug',
  'limits',
  'payload',
  'output_schema',
]);
/** Action types whose output can be described by the template or action alone. */
const SCHEMA_OPTIONAL = new Set(['search', 'crawl', 'api_call']);
/** The codes titan itself accepts in `proxy_locations`: assigned countries only, no EU/UN or private-use codes. */
const COUNTRIES = new Set(COUNTRY_CODES);

class Invalid extends Error {}
function fail(message: string): never {
  throw new Invalid(message);
}

/**
 * Checks the fields of a create/update request body before any merge: unknown and server-owned fields.
 * Returns the body with ignored fields dropped.
 */
export function validateRequestFields(body: unknown, context: ValidationContext): JsonObject | string {
  if (!isJsonObject(body)) return 'body: must be a JSON object';
  const kept: JsonObject = {};
  for (const [key, value] of Object.entries(body)) {
    if (WRITABLE.has(key)) kept[key] = value;
    else if (context.allowUnknownFields) continue;
    else if (SERVER_OWNED.has(key)) return `${key}: is read-only`;
    else return `${key}: unknown field`;
  }
  return kept;
}

/** Validates a complete task definition (a create body, a PUT body, or a PATCH merged onto the stored task). */
export function validateTaskSpec(spec: JsonObject, context: ValidationContext): string | undefined {
  try {
    checkSpec(spec, context);
    return undefined;
  } catch (error) {
    if (error instanceof Invalid) return error.message;
    throw error;
  }
}

function checkSpec(spec: JsonObject, context: ValidationContext): void {
  requireNonEmptyString(spec, 'name');
  checkExecutionType(spec);
  const kind =
    spec.execution_plan !== undefined ? 'plan' : spec.action_type !== undefined ? 'modular' : 'classic';
  if (kind === 'classic') {
    if (spec.input_source !== undefined) fail('input_source: only allowed with action_type');
    requirePresent(spec, 'urls');
    requireNonEmptyString(spec, 'objective');
    requirePresent(spec, 'output_schema');
  }
  if (kind === 'modular') checkModular(spec);
  if (kind === 'plan') checkPlan(spec, context);
  if (spec.urls !== undefined) {
    const problem = urlsProblem(spec.urls);
    if (problem !== undefined) fail(problem);
  }
  if (spec.objective !== undefined) requireNonEmptyString(spec, 'objective');
  if (spec.output_schema !== undefined) checkSchema('output_schema', spec.output_schema, context);
  if (spec.proxy_locations !== undefined) checkProxyLocations(spec.proxy_locations);
  checkTemplate(spec, context);
  for (const field of ['script_id', 'script_version'] as const) {
    if (spec[field] !== undefined) requireNonEmptyString(spec, field);
  }
  for (const field of ['limits', 'payload'] as const) {
    if (spec[field] !== undefined && !isJsonObject(spec[field])) fail(`${field}: must be a JSON object`);
  }
}

function checkExecutionType(spec: JsonObject): void {
  requirePresent(spec, 'execution_type');
  checkEnum('execution_type', spec.execution_type, EXECUTION_TYPES);
  if (spec.execution_type === 'scheduled') {
    if (spec.schedule === undefined) fail('schedule: is required when execution_type is scheduled');
    checkCron(spec.schedule);
  } else if (spec.schedule !== undefined) {
    fail('schedule: only allowed when execution_type is scheduled');
  }
}

function checkModular(spec: JsonObject): void {
  checkEnum('action_type', spec.action_type, ACTION_TYPES);
  requirePresent(spec, 'input_source');
  checkEnum('input_source', spec.input_source, INPUT_SOURCES);
  if (spec.input_source === 'previous_step') {
    fail('input_source: previous_step needs an earlier step (use execution_plan)');
  }
  if (spec.input_source === 'static_urls') requirePresent(spec, 'urls');
  if (!SCHEMA_OPTIONAL.has(String(spec.action_type))) requirePresent(spec, 'output_schema');
}

function checkPlan(spec: JsonObject, context: ValidationContext): void {
  for (const field of ['action_type', 'input_source'] as const) {
    if (spec[field] !== undefined) fail(`${field}: not allowed with execution_plan (set it on each step)`);
  }
  const plan = spec.execution_plan;
  if (!isJsonObject(plan)) return fail('execution_plan: must be a JSON object with steps');
  for (const key of Object.keys(plan)) {
    if (key !== 'steps') fail(`execution_plan.${key}: unknown field`);
  }
  const steps = plan.steps;
  if (!Array.isArray(steps) || steps.length === 0) fail('execution_plan.steps: must be a non-empty array');
  (steps as JsonValue[]).forEach((step, index) => checkStep(step, index, spec, context));
}

function checkStep(step: JsonValue, index: number, spec: JsonObject, context: ValidationContext): void {
  const at = `execution_plan.steps[${index}]`;
  if (!isJsonObject(step)) return fail(`${at}: must be a JSON object`);
  for (const key of Object.keys(step)) {
    if (!STEP_FIELDS.has(key)) fail(`${at}.${key}: unknown field`);
  }
  if (step.action_type === undefined) fail(`${at}.action_type: is required`);
  checkEnum(`${at}.action_type`, step.action_type, ACTION_TYPES);
  if (step.input_source === undefined) fail(`${at}.input_source: is required`);
  checkEnum(`${at}.input_source`, step.input_source, INPUT_SOURCES);
  if (index === 0 && step.input_source === 'previous_step') {
    fail(`${at}.input_source: the first step cannot read from previous_step`);
  }
  if (index === 0 && step.input_source === 'static_urls') requirePresent(spec, 'urls');
  if (step.template_slug !== undefined) {
    if (typeof step.template_slug !== 'string' || step.template_slug === '') {
      fail(`${at}.template_slug: must be a non-empty string`);
    }
    if (!context.templateExists({ slug: step.template_slug as string })) {
      fail(`${at}.template_slug: no template "${step.template_slug as string}"`);
    }
  }
  for (const field of ['limits', 'payload'] as const) {
    if (step[field] !== undefined && !isJsonObject(step[field]))
      fail(`${at}.${field}: must be a JSON object`);
  }
  if (step.output_schema !== undefined) checkSchema(`${at}.output_schema`, step.output_schema, context);
  else if (!SCHEMA_OPTIONAL.has(String(step.action_type)) && spec.output_schema === undefined) {
    fail(`${at}.output_schema: is required for ${String(step.action_type)} steps`);
  }
}

/** The first problem with a `urls` value as `field: message`, or undefined when it is a list of http(s) URLs. */
export function urlsProblem(urls: JsonValue): string | undefined {
  if (!Array.isArray(urls) || urls.length === 0) return 'urls: must be a non-empty array of URLs';
  const index = urls.findIndex((url) => !isHttpUrl(url));
  return index === -1 ? undefined : `urls[${index}]: must be an absolute http(s) URL`;
}

function isHttpUrl(value: JsonValue): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function checkSchema(field: string, schema: JsonValue, context: ValidationContext): void {
  if (!isJsonObject(schema)) fail(`${field}: must be a JSON object (a JSON Schema)`);
  const problem = context.checkSchema(schema as JsonObject);
  if (problem !== undefined) fail(`${field}: is not a valid JSON Schema (${problem})`);
}

function checkCron(schedule: JsonValue): void {
  if (typeof schedule !== 'string' || schedule.trim().split(/\s+/).length !== 5) {
    fail('schedule: must be a 5-field cron expression (minute hour day-of-month month day-of-week)');
  }
  try {
    CronExpressionParser.parse(schedule as string, { tz: 'UTC' });
  } catch (error) {
    fail(
      `schedule: is not a valid cron expression (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function checkProxyLocations(value: JsonValue): void {
  if (!Array.isArray(value)) fail('proxy_locations: must be an array of ISO-3166 alpha-2 country codes');
  (value as JsonValue[]).forEach((code, index) => {
    if (typeof code !== 'string' || !COUNTRIES.has(code))
      fail(`proxy_locations[${index}]: must be an ISO-3166 alpha-2 country code (e.g. "US")`);
  });
}

function checkTemplate(spec: JsonObject, context: ValidationContext): void {
  if (spec.template_id !== undefined && spec.template_slug !== undefined) {
    fail('template_slug: cannot be combined with template_id (give one)');
  }
  if (spec.template_id !== undefined) {
    requireNonEmptyString(spec, 'template_id');
    if (!context.templateExists({ id: spec.template_id as string })) {
      fail(`template_id: no template "${spec.template_id as string}"`);
    }
  }
  if (spec.template_slug !== undefined) {
    requireNonEmptyString(spec, 'template_slug');
    if (!context.templateExists({ slug: spec.template_slug as string })) {
      fail(`template_slug: no template "${spec.template_slug as string}"`);
    }
  }
}

function requirePresent(spec: JsonObject, field: string): void {
  if (spec[field] === undefined) fail(`${field}: is required`);
}

function requireNonEmptyString(spec: JsonObject, field: string): void {
  requirePresent(spec, field);
  if (typeof spec[field] !== 'string' || (spec[field] as string).trim() === '') {
    fail(`${field}: must be a non-empty string`);
  }
}

function checkEnum(field: string, value: JsonValue | undefined, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value))
    fail(`${field}: must be one of ${allowed.join(', ')}`);
}
