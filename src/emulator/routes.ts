/** Every endpoint of titan-api.md Part A: path, scopes, and the handler mapping HTTP onto the service. */
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import {
  badRequest,
  HttpError,
  listReply,
  notFound,
  ok,
  parsePaging,
  route,
  type Reply,
  type RequestContext,
  type Route,
} from './http.js';
import type { PreviewQuota } from './limits.js';
import type { ResolvedOptions } from './options.js';
import type { Persistence } from './persist.js';
import { generateRecords, mediaBytes, recordKeysOf, renderCsvRow, sampleRecords } from './records.js';
import { mediaUrl, type Service } from './service.js';
import { EXECUTION_STATUSES, TASK_SORTS, type ExecutionRecord, type Store, type TaskSort } from './store.js';
import type { TemplateRegistry } from './templates.js';
import type { Feature, REFUSED_UPDATE_STATUSES, RemoteControl } from './types.js';
import { urlsProblem } from './validate.js';
import { TASK_STATUSES } from '../core/model.js';

export interface RouteDeps {
  service: Service;
  store: Store;
  templates: TemplateRegistry;
  options: ResolvedOptions;
  previewQuota: PreviewQuota;
  persistence: Persistence | undefined;
  remote: RemoteControl;
  origin(): string;
}

const TASKS_READ = ['tasks:read'];
const TASKS_WRITE = ['tasks:write'];
const EXEC_READ = ['executions:read'];
const EXEC_WRITE = ['executions:write'];
const DATA_READ = ['data:read'];

export function buildRoutes(deps: RouteDeps): Route[] {
  const { service, store, options } = deps;
  let listRequests = 0;
  const remoteEdits = remoteEditsDuringLists(options.editDuringList, deps.remote);
  const disabled = new Set(options.disabledFeatures);
  /** A capability switched off in this environment answers 404, as the docs say feature-flagged routes do. */
  const requireFeature = (feature: Feature): void => {
    if (disabled.has(feature)) throw notFound(`${feature} are not enabled in this environment`);
  };
  const requireTaskFeatures = (body: unknown): void => {
    if (isJsonObject(body) && body.execution_plan !== undefined && body.execution_plan !== null)
      requireFeature('execution-plans');
  };
  const updateVerb = (method: 'patch' | 'put') => (context: RequestContext) => {
    if (options.updateMethod !== 'both' && options.updateMethod !== method)
      throw refusedVerb(method, context.path, options.updateMethod, options.refusedUpdateStatus);
    requireTaskFeatures(context.body);
    return ok(service.taskView(service.updateTask(param(context, 'id'), context.body, method)));
  };
  const executionList = (context: RequestContext, taskId: string | undefined): Reply => {
    const status = enumParam(context.query, 'status', EXECUTION_STATUSES);
    const page = parsePaging(context.query, options.maxPageSize);
    const all = store.queryExecutions({ taskId, status });
    const items = all.slice(page.offset, page.offset + page.limit).map((e) => service.executionView(e));
    return listReply(items, { ...page, total: all.length }, options.listShape, options.listMeta);
  };
  const finishedExecution = (context: RequestContext): ExecutionRecord => {
    const execution = service.getExecution(param(context, 'id'));
    service.requireFinished(execution);
    return execution;
  };

  return [
    // tasks
    route('POST', '/api/v1/tasks', TASKS_WRITE, (c) => {
      requireTaskFeatures(c.body);
      return ok(service.taskView(service.createTask(c.body)), options.createStatus);
    }),
    route('GET', '/api/v1/tasks', TASKS_READ, async (c) => {
      const status = enumParam(c.query, 'status', TASK_STATUSES);
      const sort = (enumParam(c.query, 'sort', TASK_SORTS) ?? 'created_at') as TaskSort;
      const page = parsePaging(c.query, options.maxPageSize);
      remoteEdits.beforePage(page.offset);
      await options.onListPage?.({ index: listRequests++, ...page }, deps.remote);
      const all = store.queryTasks({ sort, status, includeDeleted: options.listDeleted });
      const items = all
        .slice(page.offset, page.offset + page.limit)
        .map((t) => service.taskView(t, options.listItems));
      return listReply(items, { ...page, total: all.length }, options.listShape, options.listMeta);
    }),
    route('GET', '/api/v1/tasks/:id', TASKS_READ, (c) =>
      ok(service.taskView(service.getTask(param(c, 'id')))),
    ),
    route('PATCH', '/api/v1/tasks/:id', TASKS_WRITE, updateVerb('patch')),
    route('PUT', '/api/v1/tasks/:id', TASKS_WRITE, updateVerb('put')),
    route('DELETE', '/api/v1/tasks/:id', TASKS_WRITE, (c) => {
      const task = service.deleteTask(param(c, 'id'));
      return ok({ id: task.id, status: task.status });
    }),
    route('POST', '/api/v1/tasks/:id/run', [...TASKS_WRITE, ...EXEC_WRITE], (c) =>
      ok(service.executionView(service.createExecution(param(c, 'id'), c.body)), options.createStatus),
    ),
    route('GET', '/api/v1/tasks/:id/executions', EXEC_READ, (c) => {
      service.getTask(param(c, 'id'));
      return executionList(c, param(c, 'id'));
    }),
    route('GET', '/api/v1/tasks/:id/datasets', DATA_READ, (c) => {
      requireFeature('datasets');
      const task = service.getTask(param(c, 'id'));
      return ok(service.datasetsOf(store.queryExecutions({ taskId: task.id })));
    }),

    // executions
    route('POST', '/api/v1/executions', EXEC_WRITE, (c) => {
      if (!isJsonObject(c.body)) throw badRequest('body: must be a JSON object with task_id');
      const taskId = c.body.task_id;
      if (taskId === undefined) throw badRequest('task_id: is required');
      if (typeof taskId !== 'string' || taskId === '')
        throw badRequest('task_id: must be a non-empty string');
      const execution = service.createExecution(taskId, c.body, ['task_id']);
      return ok(service.executionView(execution), options.createStatus);
    }),
    route('GET', '/api/v1/executions', EXEC_READ, (c) =>
      executionList(c, c.query.get('task_id') ?? undefined),
    ),
    route('GET', '/api/v1/executions/:id', EXEC_READ, (c) =>
      ok(service.executionView(service.getExecution(param(c, 'id')))),
    ),
    ...(['pause', 'resume', 'stop'] as const).map((action) =>
      route('POST', `/api/v1/executions/:id/${action}`, EXEC_WRITE, (c) =>
        ok(service.executionView(service.control(param(c, 'id'), action))),
      ),
    ),

    // results, datasets, media
    route('GET', '/api/v1/executions/:id/results', DATA_READ, (c) =>
      ok(service.resultsView(service.getExecution(param(c, 'id')))),
    ),
    route('GET', '/api/v1/executions/:id/results/export', DATA_READ, (c) => {
      const format = c.query.get('format') ?? 'json';
      if (format !== 'json' && format !== 'ndjson' && format !== 'csv') {
        throw badRequest('format: must be one of json, ndjson, csv');
      }
      return exportReply(finishedExecution(c), format, deps.origin());
    }),
    route('GET', '/api/v1/executions/:id/results/download', DATA_READ, (c) =>
      exportReply(finishedExecution(c), 'csv', deps.origin()),
    ),
    route('GET', '/api/v1/executions/:id/datasets', DATA_READ, (c) => {
      requireFeature('datasets');
      return ok(service.datasetsOf([service.getExecution(param(c, 'id'))]));
    }),
    route('GET', '/api/v1/executions/:id/media', DATA_READ, (c) => {
      requireFeature('media');
      const execution = service.getExecution(param(c, 'id'));
      return ok(store.mediaOf(execution.id).map((item) => service.mediaView(item, deps.origin())));
    }),
    route('GET', '/api/v1/executions/:id/media/:media_id/download', DATA_READ, async (c) => {
      requireFeature('media');
      const item = store.getMedia(param(c, 'media_id'));
      if (!item || item.execution_id !== param(c, 'id'))
        throw notFound(`media ${param(c, 'media_id')} not found`);
      const bytes = (await deps.persistence?.readMedia(item.id)) ?? mediaBytes(item.id, item.content_type);
      return {
        kind: 'raw',
        status: 200,
        headers: {
          'Content-Type': item.content_type,
          'Content-Length': String(bytes.length),
          'Content-Disposition': `attachment; filename="${item.id}"`,
        },
        body: bytes,
      };
    }),

    // templates
    route('GET', '/api/v1/templates', TASKS_READ, () => ok(deps.templates.all.map((t) => ({ ...t })))),
    route('GET', '/api/v1/templates/:id', TASKS_READ, (c) =>
      ok({ ...templateOf(deps.templates, param(c, 'id')) }),
    ),
    route('POST', '/api/v1/templates/:id/preview', TASKS_READ, (c) => {
      const template = templateOf(deps.templates, param(c, 'id'));
      const url = previewUrl(c.body);
      const quota = deps.previewQuota.take(c.token);
      if (!quota.allowed) {
        throw new HttpError(429, 'TOO_MANY_REQUESTS', 'preview_limit_exceeded', {
          'X-RateLimit-Reset': String(quota.resetSeconds),
        });
      }
      const schema = isJsonObject(template.defaults.output_schema) ? template.defaults.output_schema : {};
      return ok({
        template_id: template.id,
        slug: template.slug,
        action_type: template.action_type,
        records: sampleRecords(schema, template.id, url, 3),
        previews_remaining_today: quota.remaining,
      });
    }),
  ];
}

/**
 * The answer to an update verb this service does not implement. Only documented codes: a 405 carries
 * `NOT_IMPLEMENTED` (the docs list no code for 405), a 501 likewise, and a 404 reads like a web framework's
 * "Cannot PATCH" for a route it does not have.
 */
function refusedVerb(
  method: 'patch' | 'put',
  path: string,
  accepted: 'patch' | 'put',
  status: (typeof REFUSED_UPDATE_STATUSES)[number],
): HttpError {
  const verb = method.toUpperCase();
  if (status === 404) return new HttpError(404, 'NOT_FOUND', `Cannot ${verb} ${path}`);
  return new HttpError(
    status,
    'NOT_IMPLEMENTED',
    `${verb} is not supported here; use ${accepted.toUpperCase()}`,
    status === 405 ? { Allow: `GET, ${accepted.toUpperCase()}, DELETE` } : undefined,
  );
}

/**
 * `editDuringList`: the first `reads` task-list reads that go past their first page see a task created by someone
 * else before their next page. A read starts with the request for offset 0.
 */
function remoteEditsDuringLists(reads: number, remote: RemoteControl): { beforePage(offset: number): void } {
  let edited = 0;
  let readEdited = true; // nothing to edit before a read has started
  return {
    beforePage(offset) {
      if (offset === 0) {
        readEdited = false;
        return;
      }
      if (readEdited || edited >= reads) return;
      readEdited = true;
      edited += 1;
      remote.createTask({
        name: `Remote edit ${edited}`,
        urls: ['https://example.com/remote-edit'],
        objective: 'Created by someone else while a list was read',
        output_schema: { type: 'object', properties: { title: { type: 'string' } } },
        execution_type: 'single',
      });
    },
  };
}

function param(context: RequestContext, name: string): string {
  return context.params[name] ?? '';
}

function enumParam(query: URLSearchParams, name: string, allowed: readonly string[]): string | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  if (!allowed.includes(value)) throw badRequest(`${name}: must be one of ${allowed.join(', ')}`);
  return value;
}

function templateOf(templates: TemplateRegistry, idOrSlug: string) {
  const template = templates.lookup(idOrSlug);
  if (!template) throw notFound(`template ${idOrSlug} not found`);
  return template;
}

function previewUrl(body: unknown): string {
  if (body === undefined) return 'https://example.com/';
  if (!isJsonObject(body)) throw badRequest('body: must be a JSON object');
  const urls = (body as JsonObject).urls;
  if (urls === undefined) return 'https://example.com/';
  const problem = urlsProblem(urls);
  if (problem !== undefined) throw badRequest(problem);
  return String((urls as JsonValue[])[0]);
}

const EXPORT_TYPES = {
  json: { type: 'application/json', ext: 'json' },
  ndjson: { type: 'application/x-ndjson', ext: 'ndjson' },
  csv: { type: 'text/csv; charset=utf-8', ext: 'csv' },
} as const;

/** A streamed export: records are generated chunk by chunk, never all in memory. */
function exportReply(execution: ExecutionRecord, format: 'json' | 'ndjson' | 'csv', origin: string): Reply {
  const records = generateRecords(execution, (mediaId) => mediaUrl(origin, execution.id, mediaId));
  const { type, ext } = EXPORT_TYPES[format];
  return {
    kind: 'raw',
    status: 200,
    headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${execution.id}.${ext}"` },
    body: batched(renderExport(records, format, recordKeysOf(execution.outputSchema))),
  };
}

function* renderExport(
  records: Iterable<JsonObject>,
  format: 'json' | 'ndjson' | 'csv',
  columns: string[],
): Generator<string> {
  if (format === 'csv') {
    yield renderCsvRow(columns);
    for (const record of records) yield renderCsvRow(columns.map((column) => record[column]));
    return;
  }
  if (format === 'ndjson') {
    for (const record of records) yield `${JSON.stringify(record)}\n`;
    return;
  }
  let first = true;
  yield '[';
  for (const record of records) {
    yield first ? JSON.stringify(record) : `,${JSON.stringify(record)}`;
    first = false;
  }
  yield ']\n';
}

/** Groups small strings into ~64 KB chunks so a large export is a few hundred writes, not one per record. */
function* batched(parts: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const part of parts) {
    buffer += part;
    if (buffer.length >= 65_536) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}
