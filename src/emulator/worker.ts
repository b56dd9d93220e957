/**
 * The simulated worker: moves executions queued → running → terminal on timers (queue delay, per-URL duration),
 * counts URLs done/failed (`fail.` hosts fail), stores the media of each successful URL, and honours
 * pause/resume/stop.
 */
import { isFailingUrl, mediaBytes, mediaFieldsOf, mediaIdFor } from './records.js';
import type { ExecutionRecord, Store } from './store.js';

export interface WorkerDeps {
  store: Store;
  queueDelayMs: number;
  urlDurationMs: number;
  /** Persists media bytes (a no-op in memory: bytes are regenerated from the id). */
  saveMedia(id: string, bytes: Buffer): Promise<void>;
  onError(error: Error): void;
}

export class Worker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pendingWrites = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: WorkerDeps) {}

  /** Starts (or continues after a restart) an execution that is queued or running. */
  schedule(execution: ExecutionRecord): void {
    this.clear(execution.id);
    if (this.closed) return;
    if (execution.status === 'queued')
      this.after(execution, this.deps.queueDelayMs, () => this.begin(execution));
    else if (execution.status === 'running')
      this.after(execution, this.deps.urlDurationMs, () => this.step(execution));
  }

  pause(execution: ExecutionRecord): void {
    this.clear(execution.id);
    execution.resumeTo = execution.status === 'running' ? 'running' : 'queued';
    execution.status = 'paused';
    this.deps.store.touchExecution(execution);
  }

  resume(execution: ExecutionRecord): void {
    execution.status = execution.resumeTo ?? 'queued';
    execution.resumeTo = null;
    this.deps.store.touchExecution(execution);
    this.schedule(execution);
  }

  stop(execution: ExecutionRecord): void {
    this.clear(execution.id);
    execution.status = 'cancelled';
    execution.resumeTo = null;
    execution.finished_at = this.deps.store.touchExecution(execution);
  }

  /** Stops every timer and waits for media files being written. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.pendingWrites);
  }

  private begin(execution: ExecutionRecord): void {
    execution.status = 'running';
    const at = this.deps.store.touchExecution(execution);
    execution.started_at ??= at;
    if (execution.processed >= execution.urls.length) this.finish(execution);
    else this.schedule(execution);
  }

  private step(execution: ExecutionRecord): void {
    const urlIndex = execution.processed;
    const url = execution.urls[urlIndex] ?? '';
    if (isFailingUrl(url)) {
      execution.urls_failed++;
    } else {
      execution.urls_done++;
      this.storeMedia(execution, urlIndex);
    }
    execution.processed++;
    this.deps.store.touchExecution(execution);
    if (execution.processed >= execution.urls.length) this.finish(execution);
    else this.schedule(execution);
  }

  private finish(execution: ExecutionRecord): void {
    const { urls_failed: failed, urls_total: total } = execution;
    if (total > 0 && failed === total) {
      execution.status = 'failed';
      execution.error = `all ${total} URL(s) failed`;
    } else if (failed > 0) {
      execution.status = 'completed_with_errors';
      execution.error = `${failed} of ${total} URL(s) failed`;
    } else {
      execution.status = 'completed';
    }
    execution.finished_at = this.deps.store.touchExecution(execution);
  }

  private storeMedia(execution: ExecutionRecord, urlIndex: number): void {
    const fields = mediaFieldsOf(execution.outputSchema);
    for (let recordIndex = 0; recordIndex < execution.recordsPerUrl; recordIndex++) {
      for (const field of fields) {
        const id = mediaIdFor(execution.id, urlIndex, recordIndex, field.name);
        const bytes = mediaBytes(id, field.contentType);
        this.deps.store.addMedia({
          id,
          execution_id: execution.id,
          content_type: field.contentType,
          size: bytes.length,
          created_at: execution.updated_at,
        });
        const write = this.deps
          .saveMedia(id, bytes)
          .catch((error: Error) => this.deps.onError(error))
          .finally(() => this.pendingWrites.delete(write));
        this.pendingWrites.add(write);
      }
    }
  }

  private after(execution: ExecutionRecord, ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(execution.id);
      run();
    }, ms);
    this.timers.set(execution.id, timer);
  }

  private clear(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }
}
