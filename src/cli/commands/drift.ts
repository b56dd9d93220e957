/** `titan drift [paths]`: yargs wiring; the work is in app/drift.ts. */
import type { CommandModule } from 'yargs';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { manifestPaths, outputStreams, planDepsOf, withConnection, workspaceOptions } from './options.js';

interface DriftArgs extends GlobalOptions {
  paths: string[];
  format: 'text' | 'json';
  'allow-foreign-origin': boolean;
  workspace?: string;
}

export function driftCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, DriftArgs> = {
    command: 'drift [paths..]',
    describe: 'Report managed tasks changed or deleted outside titan (read-only; exit 2 when there is drift)',
    builder: (yargs) =>
      yargs
        .positional('paths', manifestPaths())
        .option('format', {
          choices: ['text', 'json'] as const,
          default: 'text' as const,
          describe: 'Output format',
        })
        .options(workspaceOptions)
        .example('$0 drift', 'in a scheduled CI job: exit 2 when someone changed tasks by hand')
        .epilogue(
          'Drift is a managed task whose live fields differ from what titan last applied (titan.lock records a digest ' +
            'of it), or that is gone from the service. Sensitive values (from ${env:…}) are not in that digest: titan ' +
            'compares them with the manifest, so run drift with the same environment as apply. A differing secret is ' +
            'reported under "sensitive" and exits 2 like any drift, since titan cannot tell whether it was changed ' +
            'outside titan or rotated in the environment without an apply.',
        ),
    handler: async (argv) => {
      const { runDrift } = await import('../../app/drift.js');
      const workspace = resolveWorkspace(argv.paths, io.cwd, argv.workspace);
      await withConnection(argv, io, workspace, (connection) =>
        runDrift(
          planDepsOf(connection, io, workspace),
          { paths: argv.paths, allowForeignOrigin: argv['allow-foreign-origin'], format: argv.format },
          outputStreams(io, argv),
        ),
      );
    },
  };
  return command;
}
