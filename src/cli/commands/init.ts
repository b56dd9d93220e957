/** `titan init [DIR]`: yargs wiring; the work is in app/init.ts. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandModule } from 'yargs';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';

interface InitArgs {
  dir: string;
  force: boolean;
}

export function initCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, GlobalOptions & InitArgs> = {
    command: 'init [dir]',
    describe:
      'Create a workspace: an example manifest, .gitignore for .titan/, and a GitHub Actions workflow',
    builder: (yargs) =>
      yargs
        .positional('dir', { type: 'string', default: '.', describe: 'Folder to create the workspace in' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe:
            'Overwrite the example manifest and the workflow if they exist (.gitignore is only appended to)',
        }),
    handler: async (args) => {
      const { PACKAGE_NAME, readPackageRoot, writeInitWorkspace } = await import('../../app/init.js');
      const packageRoot = readPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
      const result = await writeInitWorkspace({
        dir: path.resolve(io.cwd, args.dir),
        force: args.force,
        packageRoot,
      });
      const shown = path.relative(io.cwd, result.root) || '.';
      const lines = [`Initialised a titan workspace in ${shown}:`];
      for (const file of result.written) lines.push(`  ${file.action.padEnd(11)} ${file.path}`);
      if (path.isAbsolute(result.schemaRef)) {
        // A path on this machine only: say how to get one that works in every clone.
        lines.push(
          '',
          `The manifest's editor schema line points at ${result.schemaRef}; for a path that works in every clone,`,
          `install titan in the workspace (npm install --save-dev ${PACKAGE_NAME}) and point it at`,
          `../node_modules/${PACKAGE_NAME}/schemas/manifest.schema.json.`,
        );
      }
      lines.push('', 'Next:');
      if (shown !== '.') lines.push(`  cd ${shown}`);
      lines.push('  titan validate', '  titan plan --local', '  titan apply --local');
      io.stdout.write(`${lines.join('\n')}\n`);
    },
  };
  return command;
}
