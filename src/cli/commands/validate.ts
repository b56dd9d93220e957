/** `titan validate [paths]`: yargs wiring; the work is in app/validate.ts. */
import type { CommandModule } from 'yargs';
import { wantsColor, type ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';

interface ValidateArgs extends GlobalOptions {
  paths: string[];
  format?: 'text' | 'json' | 'github';
  strict: boolean;
  workspace?: string;
  'list-codes': boolean;
}

export function validateCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, ValidateArgs> = {
    command: 'validate [paths..]',
    describe:
      'Check manifests offline: YAML, schema and task rules, every problem at once (exit 0 valid, 3 invalid)',
    builder: (yargs) =>
      yargs
        .positional('paths', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Manifest files or folders (default: .)',
        })
        .option('format', {
          choices: ['text', 'json', 'github'] as const,
          describe:
            'text for people, json for programs, github for annotations (default: github when GITHUB_ACTIONS=true, else text)',
        })
        .option('strict', { type: 'boolean', default: false, describe: 'Warnings fail too (exit 3)' })
        .option('list-codes', {
          type: 'boolean',
          default: false,
          describe: 'Print every diagnostic code with what it means, and exit',
        })
        .option('workspace', {
          type: 'string',
          describe:
            'Workspace folder (default: the first path if it is a folder, else the working directory); $refs must stay inside its git repository, or inside it when there is none',
        })
        .example('$0 validate', 'check every manifest under the working directory')
        .example('$0 validate tasks/ --format json', 'diagnostics as JSON')
        .example('$0 validate --list-codes', 'what each diagnostic code means'),
    handler: async (argv) => {
      const { runListCodes, runValidate } = await import('../../app/validate.js');
      if (argv['list-codes']) {
        runListCodes({ stdout: io.stdout });
        return;
      }
      await runValidate(
        {
          cwd: io.cwd,
          env: io.env,
          ...(io.manifestWorker ? { manifestWorker: io.manifestWorker } : {}),
          ...(io.checkCache ? { checkCache: io.checkCache } : {}),
          stdout: io.stdout,
          color: wantsColor(io.stdout, io.env, argv.color),
        },
        {
          paths: argv.paths,
          strict: argv.strict,
          ...(argv.format ? { format: argv.format } : {}),
          ...(argv.workspace ? { workspace: argv.workspace } : {}),
        },
      );
    },
  };
  return command;
}
