/**
 * Waiting for an execution to finish: polite polling (start near the Titan docs' 3 s, back off gently while
 * nothing changes, never past a cap), bounded by an optional timeout and cancellable by an AbortSignal. Rate
 * limits are the client's business: it paces itself and waits out 429s.
 */
import {
  TERMINAL_EXECUTION_STATUSES,
  type Execution,
  type TaskServiceClient,
} from '../../core/service/types.js';

/** The first polling interval: the Titan docs' 3 s. */
export const DEFAULT_POLL_INTERVAL_MS = 3_000;
/** The interval never grows past this many times the first one. */
const MAX_INTERVAL_FACTOR = 5;
const BACKOFF_FACTOR = 1.5;

export const isTerminal = (execution: Execution): boolean =>
  TERMINAL_EXECUTION_STATUSES.includes(execution.status);

/** Whether a poll saw something new: a status change or more URLs done or failed. */
export function progressed(before: Execution, after: Execution): boolean {
  return (
    before.status !== after.status ||
    before.urls_done !== after.urls_done ||
    before.urls_failed !== after.urls_failed
  );
}

/**
 * The pause before the next poll: back to the first interval when the execution moved, ×1.5 while it did not,
 * capped at 5× the first interval.
 */
export function nextPollInterval(currentMs: number, initialMs: number, moved: boolean): number {
  if (moved) return initialMs;
  return Math.min(Math.round(currentMs * BACKOFF_FACTOR), initialMs * MAX_INTERVAL_FACTOR);
}

export interface WaitOptions {
  client: Pick<TaskServiceClient, 'getExecution'>;
  /** The state already known (from starting it, or a first GET). */
  execution: Execution;
  initialIntervalMs: number;
  /** Stop waiting after this long (measured from `startedAt`). */
  timeoutMs?: number;
  startedAt: number;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal: AbortSignal;
  /** Called with every state seen, the first one included. */
  onUpdate: (execution: Execution) => void;
}

export type WaitOutcome =
  | { kind: 'terminal'; execution: Execution }
  | { kind: 'timeout'; execution: Execution }
  | { kind: 'interrupted'; execution: Execution };

/** Polls until the execution is terminal, the timeout passes or the signal aborts; never throws for those. */
export async function waitForExecution(options: WaitOptions): Promise<WaitOutcome> {
  let execution = options.execution;
  let interval = options.initialIntervalMs;
  options.onUpdate(execution);
  while (!isTerminal(execution)) {
    const deadline = options.timeoutMs === undefined ? Infinity : options.startedAt + options.timeoutMs;
    const remaining = deadline - options.now();
    if (remaining <= 0) return { kind: 'timeout', execution };
    try {
      await options.sleep(Math.min(interval, remaining), options.signal);
      if (options.signal.aborted) return { kind: 'interrupted', execution };
      if (options.now() >= deadline) return { kind: 'timeout', execution };
      const next = await options.client.getExecution(execution.id);
      interval = nextPollInterval(interval, options.initialIntervalMs, progressed(execution, next));
      execution = next;
    } catch (error) {
      // An abort surfaces as whatever the sleep or the client throws; the signal says what it really was.
      if (options.signal.aborted) return { kind: 'interrupted', execution };
      throw error;
    }
    options.onUpdate(execution);
  }
  return { kind: 'terminal', execution };
}
