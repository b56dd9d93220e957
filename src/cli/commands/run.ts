/**
 * `titan run KEY | --task-id ID`, plus the wiring every runtime command shares: connection, workspace, output
 * flags and Ctrl-C (an AbortSignal handed to the use case).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Argv, CommandModule, Options } from 'yargs';
import type { RuntimeContext } from '../../app/runtime/context.js';
import { DEFAULT_POLL_INTERVAL_MS } from '../../app/runtime/poll.js';
import { parseDuration, requireDuration } from '../../core/duration.js';
import { InterruptedError, InvalidInputError } from '../../core/errors.js';
import type { ExportFormat } from '../../core/service/types.js';
import { outputStreams, withConnection } from './options.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';

export interface RuntimeArgs extends GlobalOptions {
  workspace?: string;
  json: boolean;
}

/** Options every runtime command takes. */
export const runtimeOptions = {
  workspace: {
    type: 'string',
    describe:
      'Workspace folder holding titan.lock (and .titan/local/ with --local); default: the working directory, or ' +
      'for a KEY the one workspace up to three folders below it whose titan.lock manages KEY',
  },
  json: { type: 'boolean', default: false, describe: 'Print data as JSON on stdout, for scripts' },
} as const satisfies Record<string, Options>;

/** `<id>`: an execution id, with the runtime options. */
export const executionIdPositional = (yargs: Argv<GlobalOptions>) =>
  yargs
    .positional('id', { type: 'string', demandOption: true, describe: 'Execution id' })
    .options(runtimeOptions);

/** `-o FILE` where output is required: the file is written complete or not at all; `-` is stdout. */
export const requiredOutputOption = {
  alias: 'o',
  type: 'string',
  describe: 'Required: write to FILE (complete or not at all); - for stdout',
} as const;

export const EXPORT_FORMAT_CHOICES: readonly ExportFormat[] = ['json', 'ndjson', 'csv'];

/** Options of the commands that wait for an execution (`run`, `executions watch`). */
export const followOptions = {
  timeout: {
    type: 'string',
    describe: 'Stop waiting after this long (30s, 5m, 1h30m…); the execution keeps running. Exit 1',
  },
  export: { type: 'string', describe: 'When it has finished, write its results to FILE (streamed)' },
  format: {
    choices: EXPORT_FORMAT_CHOICES,
    describe: 'Export format (default: from the FILE extension — .csv, .ndjson/.jsonl — else json)',
  },
  strict: {
    type: 'boolean',
    default: false,
    describe: 'Treat completed_with_errors as a failure (exit 1)',
  },
} as const satisfies Record<string, Options>;

/** The embedded emulator answers in-process: polling it often costs nothing and keeps the first run snappy. */
const LOCAL_POLL_MS = 500;

/**
 * Connects (remote, or the embedded emulator with --local), builds the runtime context, turns Ctrl-C/SIGTERM into
 * an aborted signal for the use case, and always disconnects.
 */
export async function withRuntime(
  argv: RuntimeArgs,
  io: ProcessIO,
  body: (ctx: RuntimeContext) => Promise<void>,
  addressed: { key?: string } = {},
): Promise<void> {
  const pollIntervalMs = pollIntervalFrom(io.env, argv.local);
  const { chooseWorkspace } = await import('../../app/runtime/locate.js');
  const { workspace, foundBelow } = await chooseWorkspace({
    cwd: io.cwd,
    explicit: argv.workspace,
    key: addressed.key,
    local: argv.local,
  });
  if (foundBelow !== undefined) {
    io.stderr.write(`Using workspace ${foundBelow} (its titan.lock manages "${addressed.key}").\n`);
  }
  const workspaceFlag = argv.workspace ?? foundBelow;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => controller.abort(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withConnection(
      argv,
      io,
      workspace,
      (connection) =>
        body({
          client: connection.client,
          origin: connection.origin,
          workspace,
          cwd: io.cwd,
          ...outputStreams(io, argv),
          json: argv.json,
          now: () => Date.now(),
          sleep: (ms, signal) => delay(ms, undefined, { signal }),
          signal: controller.signal,
          pollIntervalMs,
          commandLine: (args) => commandLineFor(argv, workspaceFlag, args),
        }),
      controller.signal,
    );
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof InterruptedError)) {
      throw new InterruptedError(
        'Interrupted.',
        controller.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT',
      );
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `-o FILE` of the download commands: required, so binary or CSV bytes never land on a terminal by accident. */
export function requireOutput(output: string | undefined, command: string): string {
  if (output === undefined || output === '') {
    throw new InvalidInputError(`titan ${command} needs -o FILE (or -o - to write to stdout).`);
  }
  return output;
}

/** `--timeout DUR` in ms; checked here (not by yargs) so a bad value is an input error with exit 3. */
export const timeoutOption = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : requireDuration(value, '--timeout');

/** `TITAN_POLL_INTERVAL_MS` (tests, impatient users) overrides the first polling interval. */
function pollIntervalFrom(env: NodeJS.ProcessEnv, local: boolean): number {
  const raw = env.TITAN_POLL_INTERVAL_MS;
  if (raw === undefined || raw === '') return local ? LOCAL_POLL_MS : DEFAULT_POLL_INTERVAL_MS;
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0) {
    throw new InvalidInputError(
      `TITAN_POLL_INTERVAL_MS: "${raw}" is not a positive duration in milliseconds.`,
    );
  }
  return ms;
}

/**
 * A command line to suggest, with this invocation's connection flags and workspace (given or found) so it talks
 * to the same service — with --local, the same data.
 */
function commandLineFor(argv: RuntimeArgs, workspace: string | undefined, args: string): string {
  const flags = [
    argv.local ? '--local' : undefined,
    workspace !== undefined ? `--workspace ${shellQuote(workspace)}` : undefined,
    argv['api-url'] !== undefined ? `--api-url ${shellQuote(argv['api-url'])}` : undefined,
  ].filter((flag): flag is string => flag !== undefined);
  return ['titan', args, ...flags].join(' ');
}

const shellQuote = (value: string): string =>
  /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;

interface RunArgs extends RuntimeArgs {
  key?: string;
  'task-id'?: string;
  wait: boolean;
  timeout?: string;
  export?: string;
  format?: ExportFormat;
  'secret-payload-file'?: string;
  strict: boolean;
}

export function runCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, RunArgs> = {
    command: 'run [key]',
    describe:
      'Start an execution of a managed task (manifest KEY or --task-id); --wait follows it to the end',
    builder: (yargs) =>
      yargs
        .positional('key', {
          type: 'string',
          describe: 'Manifest key (metadata.name), resolved through titan.lock',
        })
        .option('task-id', { type: 'string', describe: 'Run a task by its remote id instead of a key' })
        .option('wait', {
          type: 'boolean',
          default: false,
          describe: 'Wait until it ends, showing progress (implied by --export and --timeout)',
        })
        .options(followOptions)
        .option('secret-payload-file', {
          type: 'string',
          describe: "JSON object sent as the execution's secret_payload; its values are never printed",
        })
        .options(runtimeOptions)
        .example('$0 run product-prices --wait --export prices.csv', 'run, wait, export as CSV')
        .example(
          '$0 run --local my-first-task --wait --export results.json',
          'the quickstart, offline (after titan apply --local examples/quickstart)',
        ),
    handler: async (argv) => {
      const timeoutMs = timeoutOption(argv.timeout);
      const { runManagedTask } = await import('../../app/run.js');
      await withRuntime(
        argv,
        io,
        (ctx) =>
          runManagedTask(ctx, {
            task: { key: argv.key, taskId: argv['task-id'] },
            wait: argv.wait,
            timeoutMs,
            exportFile: argv.export,
            format: argv.format,
            secretPayloadFile: argv['secret-payload-file'],
            strict: argv.strict,
          }),
        { key: argv.key },
      );
    },
  };
  return command;
}
