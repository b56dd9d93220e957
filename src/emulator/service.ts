/**
 * The Task Service's behaviour on top of the store: task writes with validation, executions and their control,
 * results metadata, datasets and media listings. HTTP-agnostic; failures are `HttpError`s.
 */
import { randomUUID } from 'node:crypto';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { defaultOutputSchema } from './default-schemas.js';
import { badRequest, notFound } from './http.js';
import type { ResolvedOptions } from './options.js';
import type { Scheduler } from './scheduler.js';
import type { SchemaChecker } from './schema-check.js';
import { TERMINAL, type ExecutionRecord, type MediaRecord, type Store, type TaskRecord } from './store.js';
import { stableUuid, type TemplateRegistry } from './templates.js';
import { validateRequestFields, validateTaskSpec, type ValidationContext } from './validate.js';
import type { Worker } from './worker.js';

const SUMMARY_FIELDS = [
  'id',
  'name',
  'status',
  'execution_type',
  'schedule',
  'created_at',
  'updated_at',
] as const;

export interface ServiceDeps {
  store: Store;
  templates: TemplateRegistry;
  options: ResolvedOptions;
  checkSchema: SchemaChecker;
  worker: Worker;
  scheduler: Scheduler | undefined;
}

export class Service {
  private readonly validation: ValidationContext;

  constructor(private readonly deps: ServiceDeps) {
    this.validation = {
      allowUnknownFields: deps.options.allowUnknownFields,
      templateExists: (ref) => deps.templates.find(ref) !== undefined,
      checkSchema: deps.checkSchema,
    };
  }

  // tasks

  createTask(body: unknown): TaskRecord {
    const spec = this.checked(this.requestFields(body));
    const task = this.deps.store.createTask(randomUUID(), spec);
    this.deps.scheduler?.sync(task);
    return task;
  }

  /** PATCH merges (a `null` removes the field); PUT replaces (a `null` is the same as leaving the field out). */
  updateTask(id: string, body: unknown, mode: 'patch' | 'put'): TaskRecord {
    const task = this.liveTask(id);
    const fields = this.requestFields(body);
    const next: JsonObject = mode === 'patch' ? { ...task.spec } : {};
    for (const [key, value] of Object.entries(fields)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    this.deps.store.replaceTaskSpec(task, this.checked(next));
    this.deps.scheduler?.sync(task);
    return task;
  }

  deleteTask(id: string): TaskRecord {
    const task = this.liveTask(id);
    this.deps.store.softDeleteTask(task);
    this.deps.scheduler?.sync(task);
    return task;
  }

  getTask(id: string): TaskRecord {
    const task = this.deps.store.getTask(id);
    if (!task) throw notFound(`task ${id} not found`);
    return task;
  }

  taskView(task: TaskRecord, items: 'full' | 'summary' = 'full'): JsonObject {
    const full: JsonObject = {
      id: task.id,
      ...task.spec,
      status: task.status,
      created_at: task.created_at,
      updated_at: task.updated_at,
    };
    if (items === 'full') return full;
    const summary: JsonObject = {};
    for (const key of SUMMARY_FIELDS) if (full[key] !== undefined) summary[key] = full[key];
    return summary;
  }

  // executions

  createExecution(taskId: string, runBody: unknown, extraFields: readonly string[] = []): ExecutionRecord {
    if (runBody !== undefined) checkRunBody(runBody, extraFields, this.deps.options.allowUnknownFields);
    const task = this.liveTask(taskId);
    return this.startExecution(task);
  }

  /** A new execution of `task`, handed to the worker (also used by the scheduler). */
  startExecution(task: TaskRecord): ExecutionRecord {
    const at = this.deps.store.stamp();
    const urls = Array.isArray(task.spec.urls) ? task.spec.urls.map(String) : [];
    const execution: ExecutionRecord = {
      id: randomUUID(),
      task_id: task.id,
      status: 'queued',
      created_at: at,
      updated_at: at,
      started_at: null,
      finished_at: null,
      urls_total: urls.length,
      urls_done: 0,
      urls_failed: 0,
      error: null,
      urls,
      outputSchema: this.outputSchemaOf(task.spec),
      recordsPerUrl: this.deps.options.recordsPerUrl,
      violationRate: this.deps.options.violationRate,
      processed: 0,
      resumeTo: null,
    };
    this.deps.store.addExecution(execution);
    this.deps.worker.schedule(execution);
    return execution;
  }

  getExecution(id: string): ExecutionRecord {
    const execution = this.deps.store.getExecution(id);
    if (!execution) throw notFound(`execution ${id} not found`);
    return execution;
  }

  control(id: string, action: 'pause' | 'resume' | 'stop'): ExecutionRecord {
    const execution = this.getExecution(id);
    if (TERMINAL.has(execution.status)) {
      throw badRequest(`execution is ${execution.status}: cannot ${action} a finished execution`);
    }
    if (action === 'pause') {
      if (execution.status === 'paused') throw badRequest('execution is already paused');
      this.deps.worker.pause(execution);
    } else if (action === 'resume') {
      if (execution.status !== 'paused') throw badRequest(`execution is ${execution.status}, not paused`);
      this.deps.worker.resume(execution);
    } else {
      this.deps.worker.stop(execution);
    }
    return execution;
  }

  executionView(execution: ExecutionRecord): JsonObject {
    return {
      id: execution.id,
      task_id: execution.task_id,
      status: execution.status,
      created_at: execution.created_at,
      updated_at: execution.updated_at,
      started_at: execution.started_at,
      finished_at: execution.finished_at,
      urls_total: execution.urls_total,
      urls_done: execution.urls_done,
      urls_failed: execution.urls_failed,
      error: execution.error,
    };
  }

  // results, datasets, media

  resultsView(execution: ExecutionRecord): JsonObject {
    const ready = TERMINAL.has(execution.status);
    return {
      execution_id: execution.id,
      status: execution.status,
      ready,
      record_count: recordCountOf(execution),
      formats: ['json', 'ndjson', 'csv'],
      completed_at: ready ? execution.finished_at : null,
    };
  }

  /** Exports need a finished execution. */
  requireFinished(execution: ExecutionRecord): void {
    if (!TERMINAL.has(execution.status)) {
      throw badRequest(`execution not completed (status ${execution.status}); export once it has finished`);
    }
  }

  /** One dataset per finished execution that produced records. */
  datasetsOf(executions: readonly ExecutionRecord[]): JsonObject[] {
    const out: JsonObject[] = [];
    for (const execution of executions) {
      const count = recordCountOf(execution);
      if (!TERMINAL.has(execution.status) || count === 0) continue;
      const task = this.deps.store.getTask(execution.task_id);
      out.push({
        id: stableUuid(`dataset:${execution.id}`),
        task_id: execution.task_id,
        execution_id: execution.id,
        name: `${String(task?.spec.name ?? 'task')} results`,
        record_count: count,
        created_at: execution.finished_at ?? execution.updated_at,
      });
    }
    return out;
  }

  mediaView(item: MediaRecord, origin: string): JsonObject {
    return {
      id: item.id,
      execution_id: item.execution_id,
      content_type: item.content_type,
      size: item.size,
      url: mediaUrl(origin, item.execution_id, item.id),
    };
  }

  // helpers

  private liveTask(id: string): TaskRecord {
    const task = this.getTask(id);
    if (task.status === 'deleted') throw notFound(`task ${id} not found (deleted)`);
    return task;
  }

  private requestFields(body: unknown): JsonObject {
    const fields = validateRequestFields(body, this.validation);
    if (typeof fields === 'string') throw badRequest(fields);
    return fields;
  }

  private checked(spec: JsonObject): JsonObject {
    const problem = validateTaskSpec(spec, this.validation);
    if (problem !== undefined) throw badRequest(problem);
    return spec;
  }

  /** The schema records follow: the task's (or last step's) own, else its template's, else the action's default. */
  private outputSchemaOf(spec: JsonObject): JsonObject {
    const steps =
      isJsonObject(spec.execution_plan) && Array.isArray(spec.execution_plan.steps)
        ? spec.execution_plan.steps
        : [];
    const last = steps[steps.length - 1];
    const source: JsonObject = isJsonObject(last) ? last : spec;
    const templateRef = { id: stringOr(source.template_id), slug: stringOr(source.template_slug) };
    const template = this.deps.templates.find(
      templateRef.id !== undefined ? { id: templateRef.id } : { slug: templateRef.slug },
    );
    const candidates: JsonValue[] = [
      source.output_schema as JsonValue,
      spec.output_schema as JsonValue,
      template?.defaults.output_schema as JsonValue,
    ];
    const found = candidates.find(isJsonObject);
    return found ?? defaultOutputSchema(String(source.action_type ?? 'scrape'));
  }
}

function checkRunBody(body: unknown, extraFields: readonly string[], allowUnknown: boolean): void {
  if (!isJsonObject(body)) throw badRequest('body: must be a JSON object');
  for (const key of Object.keys(body)) {
    if (key !== 'secret_payload' && !extraFields.includes(key) && !allowUnknown) {
      throw badRequest(`${key}: unknown field`);
    }
  }
  if (body.secret_payload !== undefined && !isJsonObject(body.secret_payload)) {
    throw badRequest('secret_payload: must be a JSON object');
  }
}

/** Every URL that did not fail gave `recordsPerUrl` records (the worker counts those URLs in `urls_done`). */
const recordCountOf = (execution: ExecutionRecord): number => execution.urls_done * execution.recordsPerUrl;

const stringOr = (value: JsonValue | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

export const mediaUrl = (origin: string, executionId: string, mediaId: string): string =>
  `${origin}/api/v1/executions/${encodeURIComponent(executionId)}/media/${encodeURIComponent(mediaId)}/download`;
