/**
 * The Task Service client over HTTP (titan-api.md A1–A4): every documented endpoint, read tolerantly. The
 * transport (http.ts) owns retries, pacing, deadlines and the trace; this module owns paths, bodies and how each
 * answer is read.
 */
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { isJsonObject, type JsonObject } from '../../core/json.js';
import type { LiveTask, TaskSpec } from '../../core/model.js';
import { createBodyFromSpec, liveTaskFromBody, patchBodyFromSpec } from '../../core/task-body.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import { errorFromAnswer, invalidAnswer, readEnvelope, unexpectedAnswer } from './envelope.js';
import { NotFoundError } from './errors.js';
import { Transport, type HttpAnswer, type HttpRequest } from './http.js';
import { parseListPage, readAllPages } from './list.js';
import { API_PREFIX, normalizeToken, parseOrigin } from './origin.js';
import type {
  ClientOptions,
  Dataset,
  Execution,
  ExportFormat,
  ListTasksOptions,
  MediaItem,
  RequestStats,
  ResultsMetadata,
  TaskServiceClient,
  Template,
} from '../../core/service/types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 6;
const DEFAULT_MAX_RETRY_WAIT_MS = 120_000;
const DEFAULT_PAGE_SIZE = 100;
/**
 * The task listing asks for large pages: the service clamps `limit` to its maximum page size silently (A2) and the
 * pager follows the size it answers with, so listing N tasks costs ⌈N / max page size⌉ requests, not ⌈N / 100⌉.
 */
const TASK_LIST_PAGE_SIZE = 1000;
type FieldType = 'string' | 'boolean' | 'number';
type RequiredFields = Readonly<Record<string, FieldType>>;
/**
 * The fields callers rely on in each kind of answer; an answer without them is refused, never cast blindly. A
 * name ending in `?` is one the docs do not give: it may be missing, but when present it must have its type.
 */
const EXECUTION_FIELDS: RequiredFields = { id: 'string', status: 'string' };
const RESULTS_FIELDS: RequiredFields = { 'ready?': 'boolean', 'record_count?': 'number' };
const DATASET_FIELDS: RequiredFields = { id: 'string', record_count: 'number' };
const MEDIA_FIELDS: RequiredFields = { id: 'string', url: 'string' };
const TEMPLATE_FIELDS: RequiredFields = { id: 'string', slug: 'string' };

const EXPORT_ACCEPT: Record<ExportFormat, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};

/** Validates the origin and token (InvalidInputError) and returns a client; no request is sent yet. */
export function createClient(options: ClientOptions): TaskServiceClient {
  const origin = parseOrigin(options.origin);
  const token = normalizeToken(options.token);
  const stats: RequestStats = { requests: 0, retries: 0, rateLimited: 0 };
  const transport = new Transport(
    {
      origin,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS),
      maxRetryWaitMs: options.maxRetryWaitMs ?? DEFAULT_MAX_RETRY_WAIT_MS,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      stats,
      fetch: options.fetch ?? globalThis.fetch,
      sleep: options.sleep ?? ((ms, signal) => sleepFor(ms, undefined, signal ? { signal } : {})),
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      trace: options.trace,
      signal: options.signal,
    },
    token,
  );
  return new HttpTaskServiceClient(origin, token, stats, transport);
}

const enc = encodeURIComponent;

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

class HttpTaskServiceClient implements TaskServiceClient {
  /** The update verb: PATCH until the service refuses it (see `refusesPatch`), then PUT for this client's life. */
  private updateVerb: 'PATCH' | 'PUT' = 'PATCH';
  readonly #token: string;

  constructor(
    readonly origin: string,
    token: string,
    readonly stats: RequestStats,
    private readonly transport: Transport,
  ) {
    this.#token = token;
  }

  // ---- tasks

  async createTask(spec: TaskSpec): Promise<LiveTask> {
    const request: HttpRequest = {
      method: 'POST',
      path: '/tasks',
      body: createBodyFromSpec(spec),
      creates: true,
    };
    return this.taskFrom(request, await this.transport.send(request));
  }

  async getTask(id: string): Promise<LiveTask> {
    const request: HttpRequest = { method: 'GET', path: `/tasks/${enc(id)}` };
    const answer = await this.transport.send(request);
    const task = this.taskFrom(request, answer);
    if (task.status === 'deleted') {
      throw new NotFoundError({
        method: answer.method,
        path: answer.path,
        status: answer.status,
        code: 'DELETED',
        message: `task ${id} was deleted (the Task Service reports its status as "deleted")`,
      });
    }
    return task;
  }

  async listAllTasks(options: ListTasksOptions = {}): Promise<LiveTask[]> {
    const items = await readAllPages((offset, limit) => this.listPage('/tasks', { limit, offset }), {
      pageSize: options.pageSize ?? TASK_LIST_PAGE_SIZE,
      path: `${API_PREFIX}/tasks`,
      strict: true,
    });
    return items.map(liveTaskFromBody).filter((task) => task.status !== 'deleted');
  }

  async updateTask(id: string, spec: TaskSpec): Promise<LiveTask> {
    const path = `/tasks/${enc(id)}`;
    if (this.updateVerb === 'PATCH') {
      const request: HttpRequest = { method: 'PATCH', path, body: patchBodyFromSpec(spec) };
      const answer = await this.transport.send(request);
      if (!(await this.refusesPatch(id, answer))) return this.taskFrom(request, answer);
      this.updateVerb = 'PUT';
    }
    const request: HttpRequest = { method: 'PUT', path, body: createBodyFromSpec(spec) };
    return this.taskFrom(request, await this.transport.send(request));
  }

  /**
   * Whether an answer to PATCH refuses the verb rather than the task: 405, 501 `NOT_IMPLEMENTED`, or a 404 (a web
   * framework's "Cannot PATCH") while a GET of the same task succeeds. A 404 for a task that is really gone stays
   * a 404.
   */
  private async refusesPatch(id: string, answer: HttpAnswer): Promise<boolean> {
    if (answer.status === 405 || answer.status === 501) return true;
    if (answer.status !== 404) return false;
    try {
      await this.getTask(id);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async deleteTask(id: string): Promise<'deleted' | 'already-gone'> {
    const answer = await this.transport.send({ method: 'DELETE', path: `/tasks/${enc(id)}` });
    if (answer.status === 404 || answer.status === 410) return 'already-gone';
    if (answer.status >= 200 && answer.status < 300 && answer.text.trim() === '') return 'deleted';
    try {
      readEnvelope(answer, { token: this.#token });
    } catch (error) {
      if (error instanceof NotFoundError) return 'already-gone';
      throw error;
    }
    return 'deleted';
  }

  runTask(id: string, secretPayload?: JsonObject): Promise<Execution> {
    const body = secretPayload === undefined ? undefined : { secret_payload: secretPayload };
    return this.execution({ method: 'POST', path: `/tasks/${enc(id)}/run`, body, creates: true });
  }

  listTaskExecutions(
    taskId: string,
    options: { status?: string; limit?: number } = {},
  ): Promise<Execution[]> {
    return this.executionList(`/tasks/${enc(taskId)}/executions`, { status: options.status }, options.limit);
  }

  async readTaskExecutionsPage(
    taskId: string,
    limit: number,
  ): Promise<{ executions: Execution[]; total?: number }> {
    const size = Math.max(1, Math.min(limit, DEFAULT_PAGE_SIZE));
    const page = await this.listPage(
      `/tasks/${enc(taskId)}/executions`,
      { limit: size, offset: 0 },
      EXECUTION_FIELDS,
    );
    const executions = page.items.slice(0, size) as unknown as Execution[]; // checked against EXECUTION_FIELDS
    return page.total === undefined ? { executions } : { executions, total: page.total };
  }

  listTaskDatasets(taskId: string): Promise<Dataset[]> {
    return this.plainList<Dataset>(`/tasks/${enc(taskId)}/datasets`, DATASET_FIELDS);
  }

  // ---- executions

  createExecution(taskId: string, secretPayload?: JsonObject): Promise<Execution> {
    const body: JsonObject = { task_id: taskId };
    if (secretPayload !== undefined) body.secret_payload = secretPayload;
    return this.execution({ method: 'POST', path: '/executions', body, creates: true });
  }

  getExecution(id: string): Promise<Execution> {
    return this.execution({ method: 'GET', path: `/executions/${enc(id)}` });
  }

  listExecutions(options: { taskId?: string; status?: string; limit?: number } = {}): Promise<Execution[]> {
    return this.executionList(
      '/executions',
      { task_id: options.taskId, status: options.status },
      options.limit,
    );
  }

  pauseExecution(id: string): Promise<Execution> {
    return this.execution({ method: 'POST', path: `/executions/${enc(id)}/pause` });
  }

  resumeExecution(id: string): Promise<Execution> {
    return this.execution({ method: 'POST', path: `/executions/${enc(id)}/resume` });
  }

  stopExecution(id: string): Promise<Execution> {
    return this.execution({ method: 'POST', path: `/executions/${enc(id)}/stop` });
  }

  // ---- results, datasets, media

  getResults(executionId: string): Promise<ResultsMetadata> {
    const request: HttpRequest = { method: 'GET', path: `/executions/${enc(executionId)}/results` };
    return this.object<ResultsMetadata>(request, RESULTS_FIELDS);
  }

  async exportResults(executionId: string, format: ExportFormat, sink: Writable): Promise<number> {
    const path = withQuery(`/executions/${enc(executionId)}/results/export`, { format });
    return (await this.download(path, EXPORT_ACCEPT[format], sink)).bytes;
  }

  async downloadResultsCsv(executionId: string, sink: Writable): Promise<number> {
    return (await this.download(`/executions/${enc(executionId)}/results/download`, 'text/csv', sink)).bytes;
  }

  listExecutionDatasets(executionId: string): Promise<Dataset[]> {
    return this.plainList<Dataset>(`/executions/${enc(executionId)}/datasets`, DATASET_FIELDS);
  }

  listMedia(executionId: string): Promise<MediaItem[]> {
    return this.plainList<MediaItem>(`/executions/${enc(executionId)}/media`, MEDIA_FIELDS);
  }

  async downloadMedia(
    executionId: string,
    mediaId: string,
    sink: Writable,
  ): Promise<{ bytes: number; contentType: string }> {
    return this.download(`/executions/${enc(executionId)}/media/${enc(mediaId)}/download`, '*/*', sink);
  }

  // ---- templates

  listTemplates(): Promise<Template[]> {
    return this.plainList<Template>('/templates', TEMPLATE_FIELDS);
  }

  getTemplate(idOrSlug: string): Promise<Template> {
    return this.object<Template>({ method: 'GET', path: `/templates/${enc(idOrSlug)}` }, TEMPLATE_FIELDS);
  }

  previewTemplate(id: string, body?: JsonObject): Promise<JsonObject> {
    return this.object({ method: 'POST', path: `/templates/${enc(id)}/preview`, body }, {});
  }

  // ---- reading answers

  private envelope(request: HttpRequest, answer: HttpAnswer): JsonObject {
    return readEnvelope(answer, { creates: request.creates, token: this.#token });
  }

  private invalid(request: HttpRequest, answer: HttpAnswer, what: string): Error {
    return invalidAnswer(answer, { creates: request.creates, token: this.#token }, what);
  }

  /** `data` as an object carrying an `id` (tasks, executions). */
  private identified(request: HttpRequest, answer: HttpAnswer): JsonObject {
    const data = this.envelope(request, answer).data;
    if (!isJsonObject(data) || typeof data.id !== 'string' || data.id === '') {
      throw this.invalid(request, answer, 'no object with an "id" in data');
    }
    return data;
  }

  private taskFrom(request: HttpRequest, answer: HttpAnswer): LiveTask {
    return liveTaskFromBody(this.identified(request, answer));
  }

  private async execution(request: HttpRequest): Promise<Execution> {
    const answer = await this.transport.send(request);
    const data = this.identified(request, answer);
    this.check(request, answer, [data], EXECUTION_FIELDS);
    return data as unknown as Execution; // the fields callers read were checked
  }

  /** `data` as an object holding `fields`. */
  private async object<T = JsonObject>(request: HttpRequest, fields: RequiredFields): Promise<T> {
    const answer = await this.transport.send(request);
    const data = this.envelope(request, answer).data;
    if (!isJsonObject(data)) throw this.invalid(request, answer, 'no object in data');
    this.check(request, answer, [data], fields);
    return data as unknown as T; // the fields callers read were checked
  }

  private async listPage(
    path: string,
    query: Record<string, string | number | undefined>,
    fields: RequiredFields = {},
  ) {
    const request: HttpRequest = { method: 'GET', path: withQuery(path, query) };
    const answer = await this.transport.send(request);
    const page = parseListPage(this.envelope(request, answer));
    if (page === undefined) throw this.invalid(request, answer, 'no list of objects in data');
    this.check(request, answer, page.items, fields, true);
    return page;
  }

  /** An unpaginated list (datasets, media, templates). */
  private async plainList<T>(path: string, fields: RequiredFields): Promise<T[]> {
    return (await this.listPage(path, {}, fields)).items as unknown as T[]; // checked by listPage
  }

  /** Refuses the answer unless every item holds `fields` with the right types. */
  private check(
    request: HttpRequest,
    answer: HttpAnswer,
    items: JsonObject[],
    fields: RequiredFields,
    listed = false,
  ): void {
    const problems: string[] = [];
    items.forEach((item, index) => {
      const where = listed ? `item ${index} of data` : 'data';
      for (const [field, type] of Object.entries(fields)) {
        const optional = field.endsWith('?');
        const name = optional ? field.slice(0, -1) : field;
        const value = item[name];
        if (value === undefined || value === null) {
          if (!optional) problems.push(`${where} is missing "${name}"`);
        } else if (typeof value !== type) problems.push(`"${name}" in ${where} is not a ${type}`);
      }
    });
    if (problems.length > 0) {
      const shown = problems.length > 3 ? [...problems.slice(0, 3), `${problems.length - 3} more`] : problems;
      throw unexpectedAnswer(answer, { creates: request.creates, token: this.#token }, shown);
    }
  }

  private async executionList(
    path: string,
    filters: Record<string, string | undefined>,
    limit: number | undefined,
  ): Promise<Execution[]> {
    const pageSize = Math.min(limit ?? DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const items = await readAllPages(
      (offset, size) => this.listPage(path, { ...filters, limit: size, offset }, EXECUTION_FIELDS),
      {
        pageSize,
        path: `${API_PREFIX}${path}`,
        strict: false,
        ...(limit === undefined ? {} : { maxItems: limit }),
      },
    );
    return items as unknown as Execution[]; // each page was checked against EXECUTION_FIELDS
  }

  /** Pipes a raw body into `sink` with backpressure, never holding it whole; the deadline becomes an idle timer. */
  private async download(
    path: string,
    accept: string,
    sink: Writable,
  ): Promise<{ bytes: number; contentType: string }> {
    const request: HttpRequest = { method: 'GET', path, accept };
    const answer = await this.transport.send(request, 'stream');
    const { response, deadline } = answer;
    if (response === undefined || deadline === undefined) {
      throw errorFromAnswer(answer, { token: this.#token });
    }
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        deadline.restart();
        callback(null, chunk);
      },
    });
    const body = response.body
      ? Readable.fromWeb(response.body as unknown as NodeReadableStream<Uint8Array>)
      : Readable.from([]);
    // Which side failed first: the caller's sink (disk full…) is not a network problem.
    let firstFailure: 'body' | 'sink' | undefined;
    const bodyFailed = (): void => void (firstFailure ??= 'body');
    const sinkFailed = (): void => void (firstFailure ??= 'sink');
    body.once('error', bodyFailed);
    sink.once('error', sinkFailed);
    try {
      await pipeline(body, meter, sink, { signal: deadline.signal });
    } catch (error) {
      const interrupted = deadline.timedOut || deadline.signal.aborted;
      if (firstFailure === 'sink' && !interrupted) throw error;
      throw this.transport.streamFailure(request, answer.path, deadline, error);
    } finally {
      deadline.clear();
      sink.off('error', sinkFailed);
    }
    return { bytes, contentType: response.headers.get('content-type') ?? 'application/octet-stream' };
  }
}
