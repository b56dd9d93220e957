/**
 * Typed failures. User mistakes in manifests are diagnostics (data, see diagnostics.ts); everything that stops
 * a command is one of these, and the CLI's single top-level handler turns it into a message and an exit code.
 */

/** Exit codes of design.md §5 — the contract CI pipelines branch on. */
export const ExitCode = {
  ok: 0,
  operational: 1,
  changes: 2,
  invalidInput: 3,
  refused: 4,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class TitanError extends Error {
  abstract readonly exitCode: ExitCode;
  /** Optional hint printed under the message: what the user can do about it. */
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** Network, API, auth, file-system trouble: exit 1. */
export class OperationalError extends TitanError {
  readonly exitCode = ExitCode.operational;
}

/** Bad manifests, flags, plan files or lockfiles: exit 3. */
export class InvalidInputError extends TitanError {
  readonly exitCode = ExitCode.invalidInput;
}

/** titan refuses for safety (stale plan, workspace locked, protected or mass delete, no confirmation): exit 4. */
export class RefusedError extends TitanError {
  readonly exitCode = ExitCode.refused;
}

/** The user interrupted (SIGINT → 130, SIGTERM → 143). */
export class InterruptedError extends TitanError {
  readonly exitCode: ExitCode;
  constructor(message: string, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(message);
    this.exitCode = signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  }
}

/**
 * Not a failure: the command finished and wants a specific exit code (plan --detailed-exitcode → 2,
 * drift found → 2, validate with errors → 3) after having printed its output.
 */
export class ExitWith extends Error {
  constructor(readonly exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.name = 'ExitWith';
  }
}
