/**
 * The one place that maps Task Service bodies to `TaskSpec` and back. Pure.
 * Reading is tolerant (unknown and server-owned fields are dropped, `null` means absent); writing is exact.
 */
import type { JsonObject, JsonValue } from './json.js';
import { TASK_SPEC_FIELDS, type LiveTask, type TaskSpec } from './model.js';

/** The spec carried by a full task body from the API (server fields and unknown fields dropped). */
export function specFromBody(body: JsonObject): TaskSpec {
  const spec: Record<string, JsonValue> = {};
  for (const field of TASK_SPEC_FIELDS) {
    const value = body[field];
    if (value !== undefined && value !== null) spec[field] = value;
  }
  if (typeof spec.name !== 'string') spec.name = '';
  return spec as unknown as TaskSpec;
}

/**
 * What each kind of full task must carry (titan-api.md A2): a classic task its urls, objective and output schema;
 * a modular one its action type and input source; a multi-step one its plan. A list item that has none of these
 * sets complete is a summary, whatever fields it does carry (a summary may well name its `action_type`).
 */
const FULL_TASK_FIELD_SETS: readonly (readonly string[])[] = [
  ['urls', 'objective', 'output_schema'],
  ['action_type', 'input_source'],
  ['execution_plan'],
];

/**
 * A live task from a list item or a `GET /tasks/:id` body. An item without any defining field is a summary
 * (A2), whatever other keys it carries: its `spec` stays undefined so callers know a full read is needed.
 */
export function liveTaskFromBody(body: JsonObject): LiveTask {
  const has = (field: string): boolean => body[field] !== undefined && body[field] !== null;
  const isSummary = !FULL_TASK_FIELD_SETS.some((fields) => fields.every(has));
  const str = (key: string): string | undefined =>
    typeof body[key] === 'string' ? (body[key] as string) : undefined;
  const task: LiveTask = {
    id: String(body.id ?? ''),
    status: str('status') ?? 'active',
    created_at: str('created_at') ?? '',
    updated_at: str('updated_at') ?? str('created_at') ?? '',
    name: str('name') ?? '',
  };
  const executionType = str('execution_type');
  if (executionType !== undefined) task.execution_type = executionType;
  const schedule = str('schedule');
  if (schedule !== undefined) task.schedule = schedule;
  if (!isSummary) task.spec = specFromBody(body);
  return task;
}

/** Body for `POST /tasks` (and `PUT`, which replaces): exactly the spec's fields. */
export function createBodyFromSpec(spec: TaskSpec): JsonObject {
  const body: JsonObject = {};
  for (const field of TASK_SPEC_FIELDS) {
    const value = spec[field];
    if (value !== undefined) body[field] = value as JsonValue;
  }
  return body;
}

/**
 * Body for `PATCH /tasks/:id`: the full desired spec plus an explicit `null` for every optional field the
 * desired spec no longer has, so merge and replace semantics both end at exactly the desired task.
 */
export function patchBodyFromSpec(spec: TaskSpec): JsonObject {
  const body = createBodyFromSpec(spec);
  for (const field of TASK_SPEC_FIELDS) {
    if (body[field] === undefined) body[field] = null;
  }
  return body;
}
