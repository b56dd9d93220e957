/** yargs options and wiring that several workspace commands share, defined once so their flags stay identical. */
import type { Options, PositionalOptions } from 'yargs';
import type { PlanDeps } from '../../app/plan.js';
import { requireDuration } from '../../core/duration.js';
import type { LockEnvironment } from '../../io/workspace-lock.js';
import type { Workspace } from '../../io/workspace.js';
import { connectApi, type ApiConnection } from '../context.js';
import { wantsColor, type ProcessIO } from '../io.js';
import type { GlobalOptions } from './types.js';

export const manifestPaths = (describe = 'Manifest files or folders (default: .)') =>
  ({
    type: 'string',
    array: true,
    default: [] as string[],
    describe,
  }) as const satisfies PositionalOptions;

/** Where the lockfile is and whose it is: every command that reads `titan.lock`. */
export const workspaceOptions = {
  workspace: {
    type: 'string',
    describe:
      'Workspace folder holding titan.lock (default: the first path if it is a folder, else the working directory)',
  },
  'allow-foreign-origin': {
    type: 'boolean',
    default: false,
    describe: 'Use a titan.lock recorded for another API origin (only when the service really moved)',
  },
} as const satisfies Record<string, Options>;

export const massDeleteOption = {
  'allow-mass-delete': {
    type: 'boolean',
    default: false,
    describe: 'Allow deleting more than max(10, 10% of managed) tasks, or all of them',
  },
} as const satisfies Record<string, Options>;

/** `--target` and `--replace`, for `plan` and `apply` (`verb` starts the --target help). */
export const selectionOptions = (verb: 'Plan' | 'Apply') =>
  ({
    target: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: `${verb} only matching tasks: KEY, key=GLOB or label:NAME=VALUE (repeatable)`,
    },
    replace: {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Delete and create this managed task again instead of updating it (repeatable)',
    },
  }) as const satisfies Record<string, Options>;

/** The output streams of a read-only command, with colour decided per stream. */
export const outputStreams = (io: ProcessIO, argv: GlobalOptions) => ({
  stdout: io.stdout,
  stderr: io.stderr,
  color: wantsColor(io.stdout, io.env, argv.color),
  stderrColor: wantsColor(io.stderr, io.env, argv.color),
});

/** Connects to the service of `workspace`, runs `body`, and always disconnects (stopping a `--local` emulator). */
export async function withConnection<T>(
  argv: GlobalOptions,
  io: ProcessIO,
  workspace: Workspace,
  body: (connection: ApiConnection) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const connection = await connectApi(argv, io, workspace.root, signal);
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

/** What planning needs of the connection and the process (plan, drift, and apply with more). */
export const planDepsOf = (connection: ApiConnection, io: ProcessIO, workspace: Workspace): PlanDeps => ({
  client: connection.client,
  origin: connection.origin,
  workspace,
  cwd: io.cwd,
  env: io.env,
  ...(io.manifestWorker ? { manifestWorker: io.manifestWorker } : {}),
  ...(io.checkCache ? { checkCache: io.checkCache } : {}),
  ...(io.sensitive ? { sensitive: io.sensitive } : {}),
});

/** `--lock-timeout`: how long to wait for another titan holding the workspace lock. */
export const lockTimeoutOption = (describe: string) =>
  ({
    'lock-timeout': {
      type: 'string',
      default: '0s',
      describe,
      coerce: (value: string) => requireDuration(value, '--lock-timeout'),
    },
  }) as const satisfies Record<string, Options>;

/** The workspace lock's view of this process: warnings and notices go to stderr. */
export async function lockEnvironmentOf(io: ProcessIO): Promise<LockEnvironment> {
  const { processLockEnvironment } = await import('../../io/workspace-lock.js');
  return processLockEnvironment(
    io.env,
    (message) => io.stderr.write(`Warning: ${message}\n`),
    (message) => io.stderr.write(`${message}\n`),
  );
}
