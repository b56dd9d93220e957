/** `titan force-unlock ID`: remove a workspace lock whose holder is gone for good. */
import type { CommandModule } from 'yargs';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';

interface ForceUnlockArgs extends GlobalOptions {
  id: string;
  workspace?: string;
}

export function forceUnlockCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, ForceUnlockArgs> = {
    command: 'force-unlock <id>',
    describe: 'Remove a stuck workspace lock (the id is in the "workspace is locked" message)',
    builder: (yargs) =>
      yargs
        .positional('id', { type: 'string', demandOption: true, describe: 'The lock id to remove' })
        .option('workspace', {
          type: 'string',
          describe: 'Workspace folder (default: the working directory)',
        })
        .epilogue(
          'Only remove a lock whose holder is really gone: two applies at once can create duplicate tasks.',
        ),
    handler: async (argv) => {
      const { forceUnlock, describeHolder } = await import('../../io/workspace-lock.js');
      const workspace = resolveWorkspace([], io.cwd, argv.workspace);
      const holder = await forceUnlock(workspace.stateDir, argv.id);
      io.stdout.write(
        holder === null
          ? 'The workspace is not locked; nothing to remove.\n'
          : `Removed the workspace lock (${describeHolder(holder)}).\n`,
      );
    },
  };
  return command;
}
