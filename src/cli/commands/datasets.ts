/** `titan datasets KEY | --task-id ID | --execution ID`. */
import type { CommandModule } from 'yargs';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { runtimeOptions, withRuntime, type RuntimeArgs } from './run.js';

interface DatasetsArgs extends RuntimeArgs {
  key?: string;
  'task-id'?: string;
  execution?: string;
}

export function datasetsCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, DatasetsArgs> = {
    command: 'datasets [key]',
    describe: 'Datasets of a task (manifest KEY or --task-id, across its executions) or of one execution',
    builder: (yargs) =>
      yargs
        .positional('key', { type: 'string', describe: 'Manifest key, resolved through titan.lock' })
        .option('task-id', { type: 'string', describe: 'A task by its remote id' })
        .option('execution', { type: 'string', describe: "One execution's datasets" })
        .options(runtimeOptions),
    handler: async (argv) => {
      const { listDatasets } = await import('../../app/runtime/datasets.js');
      const task =
        argv.key !== undefined || argv['task-id'] !== undefined
          ? { key: argv.key, taskId: argv['task-id'] }
          : undefined;
      await withRuntime(argv, io, (ctx) => listDatasets(ctx, { task, executionId: argv.execution }), {
        key: argv.key,
      });
    },
  };
  return command;
}
