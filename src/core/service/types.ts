/**
 * The Task Service client's public surface (titan-api.md A1–A4). `createClient` in src/io/api/client.ts implements it over
 * HTTP; use cases receive it as a parameter, so tests run them against the emulator over real HTTP.
 */
import type { Writable } from 'node:stream';
import type { JsonObject } from '../json.js';
import type { LiveTask, TaskSpec } from '../model.js';

export const EXECUTION_STATUSES = [
  'queued',
  'running',
  'paused',
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TERMINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'completed',
  'completed_with_errors',
  'failed',
  'cancelled',
];

export interface Execution {
  id: string;
  task_id: string;
  status: ExecutionStatus;
  created_at: string;
  updated_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  urls_total?: number;
  urls_done?: number;
  urls_failed?: number;
  error?: string | null;
}

/** What the docs leave unnamed may be missing: only what the service sends is shown. */
export interface ResultsMetadata {
  execution_id?: string;
  status?: ExecutionStatus;
  ready?: boolean;
  record_count?: number;
  formats?: string[];
  completed_at?: string | null;
}

export interface Dataset {
  id: string;
  task_id: string;
  execution_id: string;
  name: string;
  record_count: number;
  created_at: string;
}

export interface MediaItem {
  id: string;
  execution_id: string;
  content_type: string;
  size: number;
  url: string;
}

export interface Template {
  id: string;
  slug: string;
  name: string;
  description: string;
  action_type: string;
  defaults: JsonObject;
}

export type ExportFormat = 'json' | 'ndjson' | 'csv';

/** Counters a caller (plan, benchmarks, tests) can read to report request economy. */
export interface RequestStats {
  requests: number;
  retries: number;
  rateLimited: number;
}

export interface ListTasksOptions {
  /** Page size asked for; the server may clamp it. */
  pageSize?: number;
}

export interface TaskServiceClient {
  readonly origin: string;
  readonly stats: RequestStats;

  // tasks
  createTask(spec: TaskSpec): Promise<LiveTask>;
  getTask(id: string): Promise<LiveTask>;
  /** Every non-deleted task, all pages; fails (never returns a partial list) on any failed page. */
  listAllTasks(options?: ListTasksOptions): Promise<LiveTask[]>;
  /**
   * PATCH with explicit nulls; falls back to PUT for the rest of the client's life when PATCH is refused as a
   * verb: 405, 501, or a 404 while a GET of the same task succeeds.
   */
  updateTask(id: string, spec: TaskSpec): Promise<LiveTask>;
  /** Resolves `'deleted'` or `'already-gone'` (404 or already soft-deleted). */
  deleteTask(id: string): Promise<'deleted' | 'already-gone'>;
  runTask(id: string, secretPayload?: JsonObject): Promise<Execution>;
  listTaskExecutions(taskId: string, options?: { status?: string; limit?: number }): Promise<Execution[]>;
  /** One request: the newest `limit` (at most 100) executions of a task, and their total when the service says it. */
  readTaskExecutionsPage(taskId: string, limit: number): Promise<{ executions: Execution[]; total?: number }>;
  listTaskDatasets(taskId: string): Promise<Dataset[]>;

  // executions
  createExecution(taskId: string, secretPayload?: JsonObject): Promise<Execution>;
  getExecution(id: string): Promise<Execution>;
  listExecutions(options?: { taskId?: string; status?: string; limit?: number }): Promise<Execution[]>;
  pauseExecution(id: string): Promise<Execution>;
  resumeExecution(id: string): Promise<Execution>;
  stopExecution(id: string): Promise<Execution>;

  // results, datasets, media
  getResults(executionId: string): Promise<ResultsMetadata>;
  /** Streams the export body into `sink` without holding it in memory; resolves the byte count. */
  exportResults(executionId: string, format: ExportFormat, sink: Writable): Promise<number>;
  downloadResultsCsv(executionId: string, sink: Writable): Promise<number>;
  listExecutionDatasets(executionId: string): Promise<Dataset[]>;
  listMedia(executionId: string): Promise<MediaItem[]>;
  downloadMedia(
    executionId: string,
    mediaId: string,
    sink: Writable,
  ): Promise<{ bytes: number; contentType: string }>;

  // templates
  listTemplates(): Promise<Template[]>;
  getTemplate(idOrSlug: string): Promise<Template>;
  previewTemplate(id: string, body?: JsonObject): Promise<JsonObject>;
}

export interface ClientOptions {
  /** Origin without `/api/v1` (e.g. `https://api.webscraping.titannet.io`); `http://` only for loopback. */
  origin: string;
  /** Bearer token; sent only in the Authorization header, never logged or put in an error. */
  token: string;
  /** Per-request deadline in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Attempts for retryable requests (default 6) and the cap on total retry wait (default 120 000 ms). A 429
   * without a wait hint is retried past the attempt cap, until the wait budget is spent (a rate-limit window).
   */
  maxAttempts?: number;
  maxRetryWaitMs?: number;
  /** Full-jitter backoff: the first retry's delay ceiling and the cap, in ms (defaults 250 and 20 000). */
  backoff?: { baseMs: number; capMs: number };
  /** `--debug` trace sink: one line per request (method, path, status, duration, request id). */
  trace?: (line: string) => void;
  /** Injected effects, for tests and benchmarks. */
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Aborts every in-flight and future request (Ctrl-C). */
  signal?: AbortSignal;
}
