import { InterruptedError } from '../core/errors.js';

/**
 * The error to stop with once a stop signal fired: the `InterruptedError` the CLI aborted it with (its exit code
 * names the signal), else one saying `fallback`.
 */
export function interruptionFrom(reason: unknown, fallback: string): InterruptedError {
  return reason instanceof InterruptedError ? reason : new InterruptedError(fallback);
}
