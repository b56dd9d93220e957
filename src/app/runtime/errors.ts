/** How waiting for an execution can end badly: each is exit 1 and names the execution, so the user can follow up. */
import { InterruptedError, OperationalError } from '../../core/errors.js';
import type { ExecutionStatus } from '../../core/service/types.js';

/** The execution reached `failed` or `cancelled` (or `completed_with_errors` under --strict). */
export class ExecutionEndedError extends OperationalError {
  constructor(
    readonly executionId: string,
    readonly status: ExecutionStatus,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** `--timeout` elapsed; the execution keeps running on the service. */
export class WaitTimeoutError extends OperationalError {
  constructor(
    readonly executionId: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** Ctrl-C (130) or SIGTERM (143) while waiting: the execution goes on; the hint says how to follow it. */
export class WaitInterruptedError extends InterruptedError {
  override readonly hint: string | undefined;
  constructor(message: string, hint: string, signal: AbortSignal) {
    super(message, signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
    this.hint = hint;
  }
}
