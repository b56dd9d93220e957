/** `titan import KEY TASK_ID` and `titan import --all`: yargs wiring; the work is in app/import.ts. */
import type { CommandModule } from 'yargs';
import { InvalidInputError } from '../../core/errors.js';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import { withWriteSession, writeOptions } from './apply.js';
import type { GlobalOptions, TitanCommand } from './types.js';

interface ImportArgs extends GlobalOptions {
  'lock-timeout': number;
  'allow-foreign-origin': boolean;
  workspace?: string;
  key?: string;
  'task-id'?: string;
  all: boolean;
  'out-dir'?: string;
  path: string[];
}

export function importCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, ImportArgs> = {
    command: 'import [key] [task-id]',
    describe:
      'Adopt an existing task under a manifest key, or (--all) write manifests for every unmanaged task',
    builder: (yargs) =>
      yargs
        .positional('key', {
          type: 'string',
          describe: 'The manifest key (metadata.name) to record the task under',
        })
        .positional('task-id', { type: 'string', describe: 'The id of the task on the service' })
        .option('all', {
          type: 'boolean',
          default: false,
          describe: 'Write a manifest for every unmanaged task and record them all (the next plan is empty)',
        })
        .option('out-dir', {
          type: 'string',
          describe: 'With --all: folder for the new manifests (default: imported/)',
        })
        .option('path', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Manifest files or folders (default: the workspace)',
        })
        .option('lock-timeout', writeOptions['lock-timeout'])
        .option('allow-foreign-origin', writeOptions['allow-foreign-origin'])
        .option('workspace', writeOptions.workspace)
        .example('$0 import product-prices 550e8400-e29b-41d4-a716-446655440000', 'manage an existing task')
        .example('$0 import --all --out-dir tasks/imported', 'bring every unmanaged task under titan'),
    handler: async (argv) => {
      const workspace = resolveWorkspace(argv.path, io.cwd, argv.workspace);
      const common = {
        paths: argv.path.length > 0 ? argv.path : [workspace.root],
        lockTimeoutMs: argv['lock-timeout'],
        allowForeignOrigin: argv['allow-foreign-origin'],
      };
      if (argv.all) {
        if (argv.key !== undefined)
          throw new InvalidInputError('titan import --all takes no KEY or TASK_ID.');
        const { runImportAll } = await import('../../app/import.js');
        await withWriteSession(argv, io, workspace, (deps) =>
          runImportAll(deps, {
            ...common,
            ...(argv['out-dir'] !== undefined ? { outDir: argv['out-dir'] } : {}),
          }),
        );
        return;
      }
      if (argv.key === undefined || argv['task-id'] === undefined) {
        throw new InvalidInputError('Usage: titan import KEY TASK_ID, or titan import --all.');
      }
      const { runImport } = await import('../../app/import.js');
      const key = argv.key;
      const taskId = argv['task-id'];
      await withWriteSession(argv, io, workspace, (deps) => runImport(deps, common, key, taskId));
    },
  };
  return command;
}
