/**
 * What a runtime command (run, executions, results, datasets, media, templates) is given by the CLI layer: the
 * client, the workspace, the output streams and the clock. Everything effectful comes in here, so the use cases
 * run the same in the CLI and in tests.
 */
import type { Writable } from 'node:stream';
import type { TaskServiceClient } from '../../core/service/types.js';
import type { Workspace } from '../../io/workspace.js';

export interface RuntimeContext {
  client: TaskServiceClient;
  /** The origin ids belong to (`local:` for the embedded emulator), compared with the lockfile's. */
  origin: string;
  workspace: Workspace;
  /** Working directory: relative output paths resolve against it. */
  cwd: string;
  /** Data and summaries. */
  stdout: Writable;
  /** Progress, warnings. */
  stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Colour on stdout / on stderr (TTY, NO_COLOR and --no-color already decided). */
  color: boolean;
  stderrColor: boolean;
  /** `--json`: data for scripts on stdout, no human text there. */
  json: boolean;
  now: () => number;
  /** Resolves after `ms`, or rejects as soon as `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborted on Ctrl-C / SIGTERM by the CLI layer. */
  signal: AbortSignal;
  /** First polling interval while waiting for an execution (the Titan docs poll every 3 s). */
  pollIntervalMs: number;
  /**
   * A titan command line with the connection flags of this invocation (`--local`, `--workspace`), for hints
   * such as "watch it with: titan executions watch ID".
   */
  commandLine: (args: string) => string;
}
