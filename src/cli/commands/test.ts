/** `titan test [paths]`: yargs wiring; the work is in app/test-run.ts. */
import type { CommandModule } from 'yargs';
import { DEFAULT_SAMPLE } from '../../core/evidence/sample.js';
import { InterruptedError, InvalidInputError } from '../../core/errors.js';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import {
  lockEnvironmentOf,
  lockTimeoutOption,
  manifestPaths,
  outputStreams,
  planDepsOf,
  withConnection,
  workspaceOptions,
} from './options.js';
import { timeoutOption } from './run.js';
import type { GlobalOptions, TitanCommand } from './types.js';

interface TestArgs extends GlobalOptions {
  paths: string[];
  target: string[];
  all: boolean;
  sample: number;
  budget?: number;
  format: 'text' | 'markdown' | 'json';
  timeout?: string;
  'lock-timeout': number;
  'allow-foreign-origin': boolean;
  workspace?: string;
}

/** The first polling interval (TITAN_POLL_INTERVAL_MS overrides it, as for titan run). */
const POLL_MS = 3_000;

export function testCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, TestArgs> = {
    command: 'test [paths..]',
    describe:
      'Run the tasks the plan would create or update once, as temporary tasks on a sample of their URLs, and check their records against the desired output_schema',
    builder: (yargs) =>
      yargs
        .positional('paths', manifestPaths())
        .option('target', {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'Test matching tasks even when unchanged: KEY, key=GLOB or label:NAME=VALUE (repeatable)',
        })
        .option('all', { type: 'boolean', default: false, describe: 'Test every task of the manifests' })
        .option('sample', {
          type: 'number',
          default: DEFAULT_SAMPLE,
          describe: 'URLs per task, spread from its first URL to its last',
        })
        .option('budget', { type: 'number', describe: 'Refuse (exit 4) to run more URLs than this in all' })
        .option('format', {
          choices: ['text', 'markdown', 'json'] as const,
          default: 'text' as const,
          describe: 'text for terminals, markdown for pull-request comments, json for programs',
        })
        .option('timeout', { type: 'string', describe: 'Give up on an execution after this long (30s, 5m…)' })
        .options(
          lockTimeoutOption('How long to wait for another titan holding the workspace lock (default 0s)'),
        )
        .options(workspaceOptions)
        .example('$0 test --local', 'test what the plan changes, against the embedded emulator')
        .example('$0 test --budget 30 --format markdown', 'a pull-request comment; exit 2 when a test fails'),
    handler: async (argv) => {
      const sample = wholeNumber(argv.sample, '--sample', 1);
      const budget = argv.budget === undefined ? undefined : wholeNumber(argv.budget, '--budget', 0);
      const timeoutMs = timeoutOption(argv.timeout);
      const { runTests } = await import('../../app/test-run.js');
      const { sleepUnlessAborted } = await import('../../io/workspace-lock.js');
      const workspace = resolveWorkspace(argv.paths, io.cwd, argv.workspace);
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        io.stderr.write(`\n${signal}: stopping; deleting the temporary tasks.\n`);
        controller.abort(
          new InterruptedError(`Interrupted by ${signal}.`, signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT'),
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const lockEnvironment = await lockEnvironmentOf(io);
        // The connection is not tied to the signal: the temporary tasks must still be deleted after Ctrl-C.
        await withConnection(argv, io, workspace, (connection) =>
          runTests(
            {
              ...planDepsOf(connection, io, workspace),
              lockEnvironment,
              now: () => new Date(),
              sleep: sleepUnlessAborted,
              signal: controller.signal,
              pollIntervalMs: pollInterval(io.env, argv.local),
            },
            {
              paths: argv.paths,
              targets: argv.target,
              all: argv.all,
              sample,
              ...(budget === undefined ? {} : { budget }),
              format: argv.format,
              ...(timeoutMs === undefined ? {} : { timeoutMs }),
              lockTimeoutMs: argv['lock-timeout'],
              allowForeignOrigin: argv['allow-foreign-origin'],
            },
            outputStreams(io, argv),
          ),
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
  return command;
}

function wholeNumber(value: number, flag: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidInputError(`${flag} takes a whole number of at least ${min}, not "${String(value)}".`);
  }
  return value;
}

function pollInterval(env: NodeJS.ProcessEnv, local: boolean): number {
  const raw = Number(env.TITAN_POLL_INTERVAL_MS);
  if (Number.isFinite(raw) && raw > 0) return raw;
  return local ? 500 : POLL_MS;
}
