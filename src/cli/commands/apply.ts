/**
 * `titan apply [paths | PLANFILE]`, plus the wiring the writing commands share: signals (first Ctrl-C stops new
 * writes, a second abandons the ones in flight), the terminal prompt, the workspace-lock environment and the
 * crash-test hook. The work is in app/apply.ts.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { CommandModule, Options } from 'yargs';
import type { ApplyDeps, Terminal } from '../../app/apply.js';
import { InterruptedError, InvalidInputError } from '../../core/errors.js';
import { resolveWorkspace, type Workspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import {
  lockEnvironmentOf,
  lockTimeoutOption,
  manifestPaths,
  massDeleteOption,
  outputStreams,
  planDepsOf,
  selectionOptions,
  withConnection,
  workspaceOptions,
} from './options.js';

export interface WriteArgs extends GlobalOptions {
  'auto-approve': boolean;
  parallelism: number;
  'continue-on-error': boolean;
  verify: boolean;
  'lock-timeout': number;
  'allow-mass-delete': boolean;
  'allow-foreign-origin': boolean;
  workspace?: string;
}

interface ApplyArgs extends WriteArgs {
  paths: string[];
  replace: string[];
  target: string[];
}

/** Options `apply` and `destroy` share. */
export const writeOptions = {
  'auto-approve': {
    type: 'boolean',
    default: false,
    describe: 'Do not ask for confirmation (required when not on a terminal, e.g. in CI)',
  },
  parallelism: {
    type: 'number',
    default: 8,
    describe: 'Changes in flight at once (pacing follows the service rate-limit headers)',
    coerce: (value: number) => {
      if (!Number.isInteger(value) || value < 1 || value > 64) {
        throw new InvalidInputError(
          `--parallelism: expected a whole number from 1 to 64, got ${String(value)}.`,
        );
      }
      return value;
    },
  },
  'continue-on-error': {
    type: 'boolean',
    default: false,
    describe: 'Keep starting changes after one fails (default: stop starting new ones)',
  },
  verify: {
    type: 'boolean',
    default: false,
    describe: 'Plan again afterwards; exit 1 if anything did not converge',
  },
  ...lockTimeoutOption('Wait this long for another titan holding the workspace lock (30s, 5m…)'),
  ...massDeleteOption,
  ...workspaceOptions,
} as const satisfies Record<string, Options>;

export function applyCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, ApplyArgs> = {
    command: 'apply [paths..]',
    describe: 'Change the service to match the manifests (or apply a saved plan) and record it in titan.lock',
    builder: (yargs) =>
      yargs
        .positional(
          'paths',
          manifestPaths('Manifest files or folders (default: .), or one plan file saved by titan plan --out'),
        )
        .options(writeOptions)
        .options(selectionOptions('Apply'))
        .example('$0 apply --auto-approve', 'CI: apply the manifests in the working directory')
        .example(
          '$0 plan --out plan.json && $0 apply plan.json',
          'apply exactly the reviewed plan, without asking again (refused if stale)',
        )
        .epilogue(
          'Every write is journalled in .titan/ before it is sent, so an apply killed at any moment is completed by ' +
            'the next one without duplicates. Exit codes: 0 applied, 1 a change failed, 3 invalid input, 4 refused ' +
            '(no confirmation, stale plan, workspace locked, protected or mass delete), 130/143 interrupted.',
        ),
    handler: async (argv) => {
      const planFile = savedPlanArgument(argv.paths, io.cwd);
      if (planFile !== undefined && (argv.target.length > 0 || argv.replace.length > 0)) {
        throw new InvalidInputError(
          '--target and --replace cannot be used with a saved plan: it applies exactly the changes it holds.',
        );
      }
      const { runApply } = await import('../../app/apply.js');
      const workspace = resolveWorkspace(planFile === undefined ? argv.paths : [], io.cwd, argv.workspace);
      await withWriteSession(argv, io, workspace, async (deps) => {
        await runApply(deps, {
          paths: argv.paths,
          ...(planFile !== undefined ? { planFile } : {}),
          ...writeOptionsOf(argv),
          replace: argv.replace,
          targets: argv.target,
        });
      });
    },
  };
  return command;
}

/** The options `apply` and `destroy` share, from their flags. */
export const writeOptionsOf = (argv: WriteArgs) => ({
  autoApprove: argv['auto-approve'],
  parallelism: argv.parallelism,
  continueOnError: argv['continue-on-error'],
  verify: argv.verify,
  lockTimeoutMs: argv['lock-timeout'],
  allowMassDelete: argv['allow-mass-delete'],
  allowForeignOrigin: argv['allow-foreign-origin'],
});

/** `titan apply FILE` with one existing file that is not a manifest (.yaml/.yml): a saved plan. */
function savedPlanArgument(paths: readonly string[], cwd: string): string | undefined {
  if (paths.length !== 1) return undefined;
  const [only] = paths as [string];
  if (/\.ya?ml$/i.test(only)) return undefined;
  try {
    return statSync(path.resolve(cwd, only)).isFile() ? only : undefined;
  } catch {
    return undefined;
  }
}

/** How long in-flight writes get to finish after the first Ctrl-C before they are abandoned. */
const GRACE_MS = 5_000;

/**
 * Connects, wires signals and the terminal, runs `body`, always disconnects. First SIGINT/SIGTERM: no new writes,
 * in-flight ones get a few seconds; a second one (or the end of the grace period) abandons them at once.
 */
export async function withWriteSession(
  argv: GlobalOptions,
  io: ProcessIO,
  workspace: Workspace,
  body: (deps: ApplyDeps) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const abort = new AbortController();
  let signals = 0;
  let grace: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    const reason = new InterruptedError(
      `Interrupted by ${signal}.`,
      signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT',
    );
    if (signals === 1) {
      io.stderr.write(
        `\n${signal}: starting no new writes; waiting up to ${GRACE_MS / 1000}s for those in flight (again to stop at once).\n`,
      );
      stop.abort(reason);
      grace = setTimeout(() => abort.abort(reason), GRACE_MS);
      grace.unref();
    } else {
      io.stderr.write(
        `\n${signal}: abandoning writes in flight; the next apply settles them from the journal.\n`,
      );
      abort.abort(reason);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { sleepUnlessAborted } = await import('../../io/workspace-lock.js');
    const lockEnvironment = await lockEnvironmentOf(io);
    await withConnection(
      argv,
      io,
      workspace,
      (connection) =>
        body({
          ...planDepsOf(connection, io, workspace),
          terminal: terminalOf(argv, io),
          lockEnvironment,
          controls: { stop: stop.signal, abort: abort.signal },
          now: () => new Date(),
          sleep: sleepUnlessAborted,
          random: Math.random,
          ...crashTestHooks(io.env),
        }),
      abort.signal,
    );
  } finally {
    if (grace !== undefined) clearTimeout(grace);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function terminalOf(argv: GlobalOptions, io: ProcessIO): Terminal {
  const terminal: Terminal = outputStreams(io, argv);
  if (io.stdin.isTTY === true && io.stdout.isTTY === true) {
    terminal.ask = async (question, signal) => {
      const rl = createInterface({ input: io.stdin, output: io.stdout });
      try {
        return await rl.question(question, { signal });
      } catch {
        return '';
      } finally {
        rl.close();
      }
    };
  }
  return terminal;
}

/**
 * Crash tests only, inert unless set. Boundaries are labelled: every durable journal record (`intent:<op>`,
 * `done`, `failed`, `lock`), an answer received before its outcome is journalled (`answered:<op>`) and a lock
 * compaction (`compacted`). `TITAN_TEST_CRASH_AFTER=N` kills this process with SIGKILL at the N-th boundary;
 * `TITAN_TEST_CRASH_AT=LABEL:N` at the N-th boundary whose label starts with LABEL (`answered:create:2`).
 * `TITAN_TEST_CREATE_WINDOW_MS` shortens the wait for creates that may still land (tests know their service).
 */
function crashTestHooks(
  env: NodeJS.ProcessEnv,
): Pick<ApplyDeps, 'journal' | 'onBoundary' | 'createWindowMs'> {
  const hooks: Pick<ApplyDeps, 'journal' | 'onBoundary' | 'createWindowMs'> = {};
  const window = Number(env.TITAN_TEST_CREATE_WINDOW_MS ?? '');
  if (env.TITAN_TEST_CREATE_WINDOW_MS && Number.isInteger(window) && window >= 0)
    hooks.createWindowMs = window;
  const target = crashTarget(env);
  if (target === undefined) return hooks;
  let seen = 0;
  const boundary = (label: string): void => {
    if (!label.startsWith(target.prefix)) return;
    seen++;
    if (seen >= target.count) process.kill(process.pid, 'SIGKILL');
  };
  return {
    ...hooks,
    journal: {
      onDurable: (record) => boundary(record.t === 'intent' ? `intent:${record.op}` : record.t),
      maxBatch: 1,
    },
    onBoundary: boundary,
  };
}

function crashTarget(env: NodeJS.ProcessEnv): { prefix: string; count: number } | undefined {
  const at = /^(.+):(\d+)$/.exec(env.TITAN_TEST_CRASH_AT ?? '');
  const after = env.TITAN_TEST_CRASH_AFTER ?? '';
  const target = at
    ? { prefix: at[1] as string, count: Number(at[2]) }
    : { prefix: '', count: Number(after) };
  if (!at && after === '') return undefined;
  return Number.isInteger(target.count) && target.count >= 1 ? target : undefined;
}
