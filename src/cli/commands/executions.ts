/** `titan executions list|get|watch|pause|resume|stop`. */
import type { Argv, CommandModule } from 'yargs';
import { EXECUTION_STATUSES, type ExecutionStatus, type ExportFormat } from '../../core/service/types.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { InvalidInputError } from '../../core/errors.js';
import {
  executionIdPositional,
  followOptions,
  runtimeOptions,
  timeoutOption,
  withRuntime,
  type RuntimeArgs,
} from './run.js';

interface ListArgs extends RuntimeArgs {
  key?: string;
  'task-id'?: string;
  status?: ExecutionStatus;
  limit: number;
}

interface IdArgs extends RuntimeArgs {
  id: string;
}

interface WatchArgs extends IdArgs {
  timeout?: string;
  export?: string;
  format?: ExportFormat;
  strict: boolean;
}

export function executionsCommand(io: ProcessIO): TitanCommand {
  const control = (
    action: 'pause' | 'resume' | 'stop',
    describe: string,
  ): CommandModule<GlobalOptions, IdArgs> => ({
    command: `${action} <id>`,
    describe,
    builder: executionIdPositional,
    handler: async (argv) => {
      const { controlExecution } = await import('../../app/runtime/executions.js');
      await withRuntime(argv, io, (ctx) => controlExecution(ctx, argv.id, action));
    },
  });
  return {
    command: 'executions <command>',
    describe: 'List, inspect, watch and control executions',
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs
        .command({
          command: 'list [key]',
          describe: "Executions, newest first: all of them, or one task's (manifest KEY or --task-id)",
          builder: (y: Argv<GlobalOptions>) =>
            y
              .positional('key', { type: 'string', describe: 'Manifest key, resolved through titan.lock' })
              .option('task-id', { type: 'string', describe: 'A task by its remote id' })
              .option('status', { choices: EXECUTION_STATUSES, describe: 'Only executions in this status' })
              .option('limit', {
                type: 'number',
                default: 50,
                describe: 'At most N executions, newest first',
              })
              .options(runtimeOptions),
          handler: async (argv: ListArgs) => {
            if (!Number.isInteger(argv.limit) || argv.limit < 1) {
              throw new InvalidInputError('--limit must be a whole number of at least 1.');
            }
            const { listExecutions } = await import('../../app/runtime/executions.js');
            const task =
              argv.key !== undefined || argv['task-id'] !== undefined
                ? { key: argv.key, taskId: argv['task-id'] }
                : undefined;
            await withRuntime(
              argv,
              io,
              (ctx) => listExecutions(ctx, { task, status: argv.status, limit: argv.limit }),
              { key: argv.key },
            );
          },
        })
        .command({
          command: 'get <id>',
          describe: 'One execution: status, URL counts, times, error',
          builder: executionIdPositional,
          handler: async (argv: IdArgs) => {
            const { showExecution } = await import('../../app/runtime/executions.js');
            await withRuntime(argv, io, (ctx) => showExecution(ctx, argv.id));
          },
        })
        .command({
          command: 'watch <id>',
          describe: 'Wait for an execution to end, showing progress; exit code as for run --wait',
          builder: (y: Argv<GlobalOptions>) => executionIdPositional(y).options(followOptions),
          handler: async (argv: WatchArgs) => {
            const timeoutMs = timeoutOption(argv.timeout);
            const { watchExecution } = await import('../../app/run.js');
            await withRuntime(argv, io, (ctx) =>
              watchExecution(ctx, argv.id, {
                timeoutMs,
                exportFile: argv.export,
                format: argv.format,
                strict: argv.strict,
              }),
            );
          },
        })
        .command(control('pause', 'Pause a queued or running execution'))
        .command(control('resume', 'Resume a paused execution'))
        .command(control('stop', 'Stop (cancel) an execution that has not ended'))
        .demandCommand(1, 'Name an executions subcommand (see titan executions --help).'),
    handler: () => {},
  };
}
