/**
 * yargs wiring and the one top-level error handler: typed errors become a message on stderr and an exit
 * code (design.md §5); nothing expected ever prints a stack trace.
 */
import yargs, { type Argv } from 'yargs';
import { ExitCode, ExitWith, InvalidInputError, TitanError } from '../core/errors.js';
import { SensitiveValues } from '../core/scrub.js';
import { commands } from './commands/index.js';
import type { GlobalOptions } from './commands/types.js';
import { guardedStream, type ProcessIO } from './io.js';

declare const TITAN_VERSION: string;

export async function main(argv: string[], processIO: ProcessIO): Promise<number> {
  const io = guardedIO(processIO);
  const parser: Argv<GlobalOptions> = yargs(argv)
    .scriptName('titan')
    .usage(
      'titan <command> [options]\n\nTitan scraping tasks as code: validate, plan and apply Task Service tasks from YAML manifests.',
    )
    .option('api-url', {
      type: 'string',
      describe: 'Task Service origin (default: $TITAN_API_URL); the token comes only from $TITAN_TOKEN',
    })
    .option('local', {
      type: 'boolean',
      default: false,
      describe: 'Use an embedded emulator whose data lives in .titan/local/ of the workspace',
    })
    .option('color', {
      type: 'boolean',
      describe: 'Colour output (default: on TTYs unless NO_COLOR is set); --no-color turns it off',
    })
    .option('cache', {
      type: 'boolean',
      default: true,
      describe:
        'Reuse the checks of unchanged manifest files from earlier runs (.titan/cache/); --no-cache checks every file',
    })
    .option('debug', {
      type: 'boolean',
      default: false,
      describe: 'Trace HTTP requests (never the token) and show internal stack traces',
    })
    .strict()
    .demandCommand(1, 'Name a command (see titan --help).')
    .recommendCommands()
    .version(TITAN_VERSION)
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, io.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // A usage mistake (unknown flag, bad choice, missing argument) must stop before any handler runs.
      if (error && error.name !== 'YError') throw error;
      throw new UsageError(message ?? error?.message ?? 'invalid command line');
    }) as Argv<GlobalOptions>;

  // The commands see the process's effects as the global options leave them: --no-cache takes the cache away.
  const effects: ProcessIO = { ...io };
  parser.middleware((args) => {
    if (args.cache === false) delete effects.checkCache;
  });
  for (const command of commands(effects)) parser.command(command);

  let out = '';
  try {
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      out = output;
    });
  } catch (error) {
    return reportError(error, io, argv.includes('--debug'));
  }
  if (out) io.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  return ExitCode.ok;
}

/** The IO commands get: output scrubbed of the sensitive values (the token from the start) and EPIPE-proof. */
function guardedIO(io: ProcessIO): ProcessIO {
  const sensitive = io.sensitive ?? new SensitiveValues();
  sensitive.addToken(io.env.TITAN_TOKEN);
  return {
    ...io,
    sensitive,
    stdout: guardedStream(io.stdout, sensitive.scrub),
    stderr: guardedStream(io.stderr, sensitive.scrub),
  };
}

class UsageError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'Run "titan --help" (or "titan <command> --help") for usage.');
  }
}

function reportError(error: unknown, io: ProcessIO, debug: boolean): number {
  if (error instanceof ExitWith) return error.exitCode;
  if (error instanceof TitanError) {
    io.stderr.write(`Error: ${error.message}\n`);
    if (error.hint) io.stderr.write(`  ${error.hint.replace(/\n/g, '\n  ')}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`Internal error: ${message}\n`);
  io.stderr.write(
    debug && error instanceof Error && error.stack
      ? `${error.stack}\n`
      : 'Run again with --debug for details, and please report it.\n',
  );
  return ExitCode.operational;
}
