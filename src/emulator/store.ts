/**
 * The emulator's state: tasks, executions and media records, with the indexes lists need. Synchronous and in
 * memory; `onChange` hands every changed record to the persistence layer (its change log, then a snapshot).
 */
import type { JsonObject } from '../core/json.js';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionStatus } from '../core/service/types.js';
import { microsFromIso, type StampClock } from './clock.js';

export interface TaskRecord {
  id: string;
  /** The writable fields, exactly as stored. */
  spec: JsonObject;
  status: string;
  created_at: string;
  updated_at: string;
  createdMicros: number;
  updatedMicros: number;
}

/** The emulator serves the wire contract the client reads: one list of statuses for both. */
export { EXECUTION_STATUSES, type ExecutionStatus } from '../core/service/types.js';
export const TERMINAL = new Set<string>(TERMINAL_EXECUTION_STATUSES);

export interface ExecutionRecord {
  id: string;
  task_id: string;
  status: ExecutionStatus;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
  urls_total: number;
  urls_done: number;
  urls_failed: number;
  error: string | null;
  /** What the worker runs, captured at creation so later task edits do not change a run's output. */
  urls: string[];
  outputSchema: JsonObject;
  recordsPerUrl: number;
  /** Share of records made to violate `outputSchema` (absent in data written before the switch existed). */
  violationRate?: number;
  /** URLs finished (done or failed) so far, in order. */
  processed: number;
  /** The state `resume` returns to. */
  resumeTo: 'queued' | 'running' | null;
}

export interface MediaRecord {
  id: string;
  execution_id: string;
  content_type: string;
  size: number;
  created_at: string;
}

export type TaskSort = 'created_at' | '-created_at' | 'updated_at' | '-updated_at' | 'name';
export const TASK_SORTS: readonly TaskSort[] = [
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'name',
];

export interface TaskQuery {
  sort: TaskSort;
  status?: string;
  includeDeleted: boolean;
}

export interface Snapshot {
  version: 1;
  tasks: TaskRecord[];
  executions: ExecutionRecord[];
  media: MediaRecord[];
  /** The first change log generation this snapshot does not include (absent: replay every log). */
  log?: number;
}

/** One change, as the change log records it: the whole record after the change (replaying it is idempotent). */
export type StoreChange = { task: TaskRecord } | { execution: ExecutionRecord } | { media: MediaRecord };

export class Store {
  private readonly tasks = new Map<string, TaskRecord>();
  /** Tasks in creation order (= `created_at` order, stamps being strictly increasing). */
  private readonly taskOrder: TaskRecord[] = [];
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly executionOrder: ExecutionRecord[] = [];
  private readonly executionsByTask = new Map<string, ExecutionRecord[]>();
  private readonly media = new Map<string, MediaRecord>();
  private readonly mediaByExecution = new Map<string, MediaRecord[]>();
  /** Sorted, filtered task lists, rebuilt only after a task write, so paging is a slice. */
  private readonly views = new Map<string, { version: number; items: TaskRecord[] }>();
  private taskVersion = 0;

  constructor(
    private readonly clock: StampClock,
    private readonly onChange: (change: StoreChange) => void,
  ) {}

  load(snapshot: Snapshot): void {
    for (const task of snapshot.tasks) this.indexTask(task);
    for (const execution of snapshot.executions) this.indexExecution(execution);
    for (const item of snapshot.media) this.indexMedia(item);
    let latest = 0;
    for (const task of snapshot.tasks) latest = Math.max(latest, task.updatedMicros);
    for (const execution of snapshot.executions)
      latest = Math.max(latest, microsFromIso(execution.updated_at));
    this.clock.advancePast(latest);
  }

  /** Applies a logged change over loaded state: the record replaces the one with its id, or is added. */
  replay(change: StoreChange): void {
    if ('task' in change) {
      const existing = this.tasks.get(change.task.id);
      if (existing) Object.assign(existing, change.task);
      else this.indexTask(change.task);
      this.taskVersion++;
      this.clock.advancePast(change.task.updatedMicros);
    } else if ('execution' in change) {
      const existing = this.executions.get(change.execution.id);
      if (existing) Object.assign(existing, change.execution);
      else this.indexExecution(change.execution);
      this.clock.advancePast(microsFromIso(change.execution.updated_at));
    } else if (!this.media.has(change.media.id)) {
      this.indexMedia(change.media);
    }
  }

  snapshot(): Snapshot {
    return {
      version: 1,
      tasks: this.taskOrder,
      executions: this.executionOrder,
      media: [...this.media.values()],
    };
  }

  // tasks

  createTask(id: string, spec: JsonObject): TaskRecord {
    const stamp = this.clock.stamp();
    const task: TaskRecord = {
      id,
      spec,
      status: 'active',
      created_at: stamp.iso,
      updated_at: stamp.iso,
      createdMicros: stamp.micros,
      updatedMicros: stamp.micros,
    };
    this.indexTask(task);
    this.taskChanged(task);
    return task;
  }

  getTask(id: string): TaskRecord | undefined {
    return this.tasks.get(id);
  }

  replaceTaskSpec(task: TaskRecord, spec: JsonObject): TaskRecord {
    task.spec = spec;
    this.touchTask(task);
    return task;
  }

  softDeleteTask(task: TaskRecord): void {
    task.status = 'deleted';
    this.touchTask(task);
  }

  taskCount(): number {
    return this.tasks.size;
  }

  /** Every task matching `query`, sorted; cached until the next task write. */
  queryTasks(query: TaskQuery): readonly TaskRecord[] {
    const key = `${query.sort}|${query.status ?? ''}|${query.includeDeleted}`;
    const cached = this.views.get(key);
    if (cached && cached.version === this.taskVersion) return cached.items;
    const items = this.taskOrder.filter((task) =>
      query.status !== undefined
        ? task.status === query.status
        : query.includeDeleted || task.status !== 'deleted',
    );
    sortTasks(items, query.sort);
    this.views.set(key, { version: this.taskVersion, items });
    return items;
  }

  // executions

  addExecution(execution: ExecutionRecord): void {
    this.indexExecution(execution);
    this.onChange({ execution });
  }

  getExecution(id: string): ExecutionRecord | undefined {
    return this.executions.get(id);
  }

  /** Marks an execution as written: stamps `updated_at`. */
  touchExecution(execution: ExecutionRecord): string {
    execution.updated_at = this.clock.stamp().iso;
    this.onChange({ execution });
    return execution.updated_at;
  }

  /** Newest first. */
  queryExecutions(filter: { taskId?: string; status?: string }): ExecutionRecord[] {
    const source =
      filter.taskId !== undefined ? (this.executionsByTask.get(filter.taskId) ?? []) : this.executionOrder;
    const out: ExecutionRecord[] = [];
    for (let i = source.length - 1; i >= 0; i--) {
      const execution = source[i] as ExecutionRecord;
      if (filter.status === undefined || execution.status === filter.status) out.push(execution);
    }
    return out;
  }

  allExecutions(): readonly ExecutionRecord[] {
    return this.executionOrder;
  }

  // media

  addMedia(item: MediaRecord): void {
    this.indexMedia(item);
    this.onChange({ media: item });
  }

  getMedia(id: string): MediaRecord | undefined {
    return this.media.get(id);
  }

  mediaOf(executionId: string): readonly MediaRecord[] {
    return this.mediaByExecution.get(executionId) ?? [];
  }

  stamp(): string {
    return this.clock.stamp().iso;
  }

  private touchTask(task: TaskRecord): void {
    const stamp = this.clock.stamp();
    task.updated_at = stamp.iso;
    task.updatedMicros = stamp.micros;
    this.taskChanged(task);
  }

  private taskChanged(task: TaskRecord): void {
    this.taskVersion++;
    this.onChange({ task });
  }

  private indexTask(task: TaskRecord): void {
    this.tasks.set(task.id, task);
    this.taskOrder.push(task);
  }

  private indexExecution(execution: ExecutionRecord): void {
    this.executions.set(execution.id, execution);
    this.executionOrder.push(execution);
    const forTask = this.executionsByTask.get(execution.task_id);
    if (forTask) forTask.push(execution);
    else this.executionsByTask.set(execution.task_id, [execution]);
  }

  private indexMedia(item: MediaRecord): void {
    this.media.set(item.id, item);
    const list = this.mediaByExecution.get(item.execution_id);
    if (list) list.push(item);
    else this.mediaByExecution.set(item.execution_id, [item]);
  }
}

function sortTasks(items: TaskRecord[], sort: TaskSort): void {
  switch (sort) {
    case 'created_at':
      return; // creation order already
    case '-created_at':
      items.reverse();
      return;
    case 'updated_at':
      items.sort((a, b) => a.updatedMicros - b.updatedMicros);
      return;
    case '-updated_at':
      items.sort((a, b) => b.updatedMicros - a.updatedMicros);
      return;
    case 'name':
      items.sort((a, b) => compareNames(a, b) || a.createdMicros - b.createdMicros);
      return;
  }
}

const compareNames = (a: TaskRecord, b: TaskRecord): number => {
  const x = String(a.spec.name ?? '');
  const y = String(b.spec.name ?? '');
  return x < y ? -1 : x > y ? 1 : 0;
};
