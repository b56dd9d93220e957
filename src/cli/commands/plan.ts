/** `titan plan [paths]`: yargs wiring; the work is in app/plan.ts. */
import type { CommandModule, Options } from 'yargs';
import { resolveWorkspace } from '../../io/workspace.js';
import { connectApi } from '../context.js';
import { wantsColor, type ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './index.js';

interface PlanArgs extends GlobalOptions {
  paths: string[];
  out?: string;
  format: 'text' | 'json' | 'markdown';
  'detailed-exitcode': boolean;
  target: string[];
  replace: string[];
  'allow-mass-delete': boolean;
  'allow-foreign-origin': boolean;
  workspace?: string;
}

/** Options `plan` shares with `drift` (and, by the same names, `apply`). */
export const readOptions = {
  workspace: {
    type: 'string',
    describe:
      'Workspace folder holding titan.lock (default: the first path if it is a folder, else the working directory)',
  },
  'allow-foreign-origin': {
    type: 'boolean',
    default: false,
    describe: 'Use a titan.lock recorded for another API origin (only when the service really moved)',
  },
} as const satisfies Record<string, Options>;

export function planCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, PlanArgs> = {
    command: 'plan [paths..]',
    describe: 'Show what apply would change on the service to match the manifests (read-only)',
    builder: (yargs) =>
      yargs
        .positional('paths', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Manifest files or folders (default: .)',
        })
        .option('format', {
          choices: ['text', 'json', 'markdown'] as const,
          default: 'text' as const,
          describe: 'text for terminals, markdown for pull-request comments, json for programs',
        })
        .option('out', {
          type: 'string',
          describe: 'Also save the plan (JSON, no sensitive value) for titan apply FILE',
        })
        .option('detailed-exitcode', {
          type: 'boolean',
          default: false,
          describe: 'Exit 2 when there are changes (0 none, 1 error, 3 invalid input, 4 refused)',
        })
        .option('target', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Plan only matching tasks: KEY, key=GLOB or label:NAME=VALUE (repeatable)',
        })
        .option('replace', {
          type: 'string',
          array: true,
          default: [],
          describe: 'Delete and create this managed task again instead of updating it (repeatable)',
        })
        .option('allow-mass-delete', {
          type: 'boolean',
          default: false,
          describe: 'Allow deleting more than max(10, 10% of managed) tasks, or all of them',
        })
        .options(readOptions)
        .example('$0 plan --local', 'plan against the embedded emulator')
        .example(
          '$0 plan tasks/ --format markdown --detailed-exitcode',
          'a pull-request comment; exit 2 on changes',
        )
        .example('$0 plan --out plan.json && $0 apply plan.json', 'apply exactly what was reviewed'),
    handler: async (argv) => {
      const { runPlan } = await import('../../app/plan.js');
      const workspace = resolveWorkspace(argv.paths, io.cwd, argv.workspace);
      const connection = await connectApi(argv, io, workspace.root);
      try {
        await runPlan(
          { client: connection.client, origin: connection.origin, workspace, cwd: io.cwd, env: io.env },
          {
            paths: argv.paths,
            targets: argv.target,
            replace: argv.replace,
            allowMassDelete: argv['allow-mass-delete'],
            allowForeignOrigin: argv['allow-foreign-origin'],
            format: argv.format,
            out: argv.out,
            detailedExitcode: argv['detailed-exitcode'],
          },
          {
            stdout: io.stdout,
            stderr: io.stderr,
            color: wantsColor(io.stdout, io.env, argv.color),
            stderrColor: wantsColor(io.stderr, io.env, argv.color),
          },
        );
      } finally {
        await connection.close();
      }
    },
  };
  return command;
}
