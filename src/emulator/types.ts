/** The emulator's public surface: options (titan-api.md Part A switches), the running handle and its stats. */
import type { JsonObject } from '../core/json.js';

export const ALL_SCOPES = [
  'tasks:read',
  'tasks:write',
  'executions:read',
  'executions:write',
  'data:read',
] as const;
export type Scope = (typeof ALL_SCOPES)[number];

export interface EmulatorToken {
  token: string;
  scopes: readonly string[];
}

export interface TemplateDefinition {
  /** Generated from the slug when absent. */
  id?: string;
  slug: string;
  name: string;
  description?: string;
  action_type: string;
  defaults?: JsonObject;
}

export const LIST_META = ['pagination', 'total', 'has-more', 'none'] as const;
export type ListMeta = (typeof LIST_META)[number];
export const CREATE_STATUSES = [200, 201, 202] as const;
/** How a service can refuse the update verb it does not implement: 405, a documented `501 NOT_IMPLEMENTED`, or a framework's 404. */
export const REFUSED_UPDATE_STATUSES = [405, 501, 404] as const;
/** Capabilities an environment can have switched off; their routes (or task fields) then answer 404 `NOT_FOUND` (titan-api.md B, feature-flagged routes). */
export const FEATURES = ['execution-plans', 'datasets', 'media'] as const;
export type Feature = (typeof FEATURES)[number];

/** Where a list request is, handed to `onListPage`. `index` counts `GET /api/v1/tasks` requests from 0. */
export interface ListPageInfo {
  index: number;
  offset: number;
  limit: number;
}

/**
 * Direct edits of the emulator's state that bypass HTTP (and stats): "someone else changed the service".
 * Bodies are validated like API bodies; an invalid one throws.
 */
export interface RemoteControl {
  createTask(body: JsonObject): JsonObject;
  /** Merge semantics, like PATCH (`null` removes a field). */
  updateTask(id: string, patch: JsonObject): JsonObject;
  deleteTask(id: string): void;
  taskCount(): number;
}

export interface EmulatorOptions {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Folder for state and media; undefined keeps everything in memory. */
  dataDir?: string;
  /** Accepted tokens; default: one generated token with every scope. */
  tokens?: EmulatorToken[];
  /** `array` (default): `data` is the item array, `pagination` beside it; `object`: `data: {items, total}`. */
  listShape?: 'array' | 'object';
  /**
   * Paging metadata of list answers: `pagination` (default: a `pagination` object beside an array, `total` in an
   * object), `total` (`total` and `has_more` beside the array or in the object), `has-more` (`has_more` only), or
   * `none` (nothing: readers must stop on a short or empty page).
   */
  listMeta?: ListMeta;
  /** `full` (default) or `summary` list items for tasks. */
  listItems?: 'full' | 'summary';
  /** List soft-deleted tasks even without `status=deleted`. */
  listDeleted?: boolean;
  /** Larger `limit`s are clamped silently (default 100). */
  maxPageSize?: number;
  /** Which update verbs are accepted (default both); the other answers `refusedUpdateStatus`. */
  updateMethod?: 'patch' | 'put' | 'both';
  /** The answer to the update verb `updateMethod` leaves out: 405 (default), 501 `NOT_IMPLEMENTED` or 404 `NOT_FOUND`. */
  refusedUpdateStatus?: (typeof REFUSED_UPDATE_STATUSES)[number];
  /** Capabilities switched off (default none): their routes, or a task carrying `execution_plan`, answer 404. */
  disabledFeatures?: Feature[];
  /** Status of the answer to a creating POST (task create, run, execution trigger); default 201. */
  createStatus?: 200 | 201 | 202;
  /** Ignore unknown top-level task fields instead of answering 400. */
  allowUnknownFields?: boolean;
  /** Requests per minute per token (0 = off, the default), with a burst allowance of 10 seconds' worth. */
  rateLimit?: number;
  /** Add `Retry-After` to 429 answers (the real service does not). */
  retryAfter?: boolean;
  /** Added delay before every answer, in ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered 500/502/503 without being processed. */
  faultRate?: number;
  /** Share (0..1) of requests answered 429 regardless of the budget (a throttling storm). */
  throttleRate?: number;
  /** Share (0..1) of writes that are committed, then answered by destroying the socket. */
  dropAfterCommit?: number;
  /** Share (0..1) of requests that never get an answer. */
  hangRate?: number;
  /**
   * Task creates are carried out this many ms after they arrive, even when the client has gone meanwhile (a real
   * service finishing the work of a client that died or gave up). Default 0: at once.
   */
  lateCommitMs?: number;
  /** Time an execution stays `queued` (default 200 ms). */
  queueDelayMs?: number;
  /** Time the worker spends per URL (default 300 ms). */
  urlDurationMs?: number;
  /** Records each successful URL yields (default 2). */
  recordsPerUrl?: number;
  /**
   * Share (0..1) of records that violate their output schema on purpose (default 0): in turn a property of the
   * wrong type, a missing required property, an unexpected property. Captured by each execution when it starts.
   */
  violationRate?: number;
  /** Run scheduled tasks on their cron (UTC) while the emulator runs (default true). */
  scheduler?: boolean;
  /** Suppress the per-request log even when `log` is given. */
  quiet?: boolean;
  /** Receives one line per request (method, path, status, duration; never a token) unless quiet. Default: none. */
  log?: (line: string) => void;
  /** Injectable clock (timestamps, rate limits, quotas, scheduler). */
  now?: () => Date;
  /** Injectable randomness for fault decisions (default Math.random). */
  random?: () => number;
  /** Templates added to the built-ins. */
  templates?: TemplateDefinition[];
  /** Template previews per token per UTC day (default 20). */
  previewQuota?: number;
  /**
   * Remote edits during list reads: the first N task-list reads that go past their first page find a task created
   * by "someone else" before their next page (their total moves). Default 0.
   */
  editDuringList?: number;
  /**
   * Test hook, awaited before each `GET /api/v1/tasks` page is computed: make remote edits between pages through
   * `remote` to exercise a client's handling of lists that change while it reads them.
   */
  onListPage?: (page: ListPageInfo, remote: RemoteControl) => void | Promise<void>;
}

export interface EmulatorStats {
  /** Every request received, faulted ones included. */
  requests: number;
  /** Requests by `METHOD route-pattern`, e.g. `POST /api/v1/tasks`, `GET /api/v1/tasks/:id`. */
  byRoute: Record<string, number>;
  /** Answers by HTTP status. */
  byStatus: Record<string, number>;
  /** 429 answers sent (rate limit, throttling faults, preview quota). */
  rateLimited: number;
  /** Injected faults. */
  faults: { errors: number; drops: number; hangs: number };
  /** State snapshots written to the data folder. */
  stateWrites: number;
}

export interface Emulator {
  /** Origin, e.g. `http://127.0.0.1:4010` (no `/api/v1`). */
  url: string;
  /** The first accepted token. */
  token: string;
  close(): Promise<void>;
  stats(): EmulatorStats;
  resetStats(): void;
  /** Direct state edits (seeding, "remote" changes) that bypass HTTP and stats. */
  remote: RemoteControl;
}
