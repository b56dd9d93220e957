/** `titan destroy [paths]`: yargs wiring; the work is in app/destroy.ts. */
import type { CommandModule } from 'yargs';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import { withWriteSession, writeOptions, writeOptionsOf, type WriteArgs } from './apply.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { manifestPaths } from './options.js';

interface DestroyArgs extends WriteArgs {
  paths: string[];
}

export function destroyCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, DestroyArgs> = {
    command: 'destroy [paths..]',
    describe: 'Delete every task the workspace manages (asks first; protected tasks are refused)',
    builder: (yargs) =>
      yargs
        .positional(
          'paths',
          manifestPaths('Selects the workspace like apply does (default: the working directory)'),
        )
        .options(writeOptions)
        .epilogue(
          'destroy deletes the tasks recorded in titan.lock, whatever the manifests say. Protected tasks are refused ' +
            '(exit 4) until protect: false has been applied. Emptying the workspace is what destroy is for, but ' +
            'deleting more than max(10, 10% of managed) tasks still needs --allow-mass-delete.',
        ),
    handler: async (argv) => {
      const { runDestroy } = await import('../../app/destroy.js');
      const workspace = resolveWorkspace(argv.paths, io.cwd, argv.workspace);
      await withWriteSession(argv, io, workspace, (deps) => runDestroy(deps, writeOptionsOf(argv)));
    },
  };
  return command;
}
