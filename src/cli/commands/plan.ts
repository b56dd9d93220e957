/** `titan plan [paths]`: yargs wiring; the work is in app/plan.ts. */
import type { CommandModule } from 'yargs';
import { DEFAULT_HISTORY_EXECUTIONS, MAX_HISTORY_EXECUTIONS } from '../../core/evidence/sample.js';
import { InvalidInputError } from '../../core/errors.js';
import { resolveWorkspace } from '../../io/workspace.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import {
  manifestPaths,
  massDeleteOption,
  outputStreams,
  planDepsOf,
  selectionOptions,
  withConnection,
  workspaceOptions,
} from './options.js';

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
  'check-history'?: string | boolean;
}

export function planCommand(io: ProcessIO): TitanCommand {
  const command: CommandModule<GlobalOptions, PlanArgs> = {
    command: 'plan [paths..]',
    describe: 'Show what apply would change on the service to match the manifests (read-only)',
    builder: (yargs) =>
      yargs
        .positional('paths', manifestPaths())
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
        .option('check-history', {
          type: 'string',
          describe:
            'Check the records of the last N (default 3, at most 10) completed executions of each task whose ' +
            'output_schema changes against the new schema; on by default with --format markdown (--no-check-history: off)',
        })
        .options(selectionOptions('Plan'))
        .options(massDeleteOption)
        .options(workspaceOptions)
        .example('$0 plan --local', 'plan against the embedded emulator')
        .example(
          '$0 plan tasks/ --format markdown --detailed-exitcode',
          'a pull-request comment; exit 2 on changes',
        )
        .example('$0 plan --out plan.json && $0 apply plan.json', 'apply exactly what was reviewed'),
    handler: async (argv) => {
      const { runPlan } = await import('../../app/plan.js');
      const workspace = resolveWorkspace(argv.paths, io.cwd, argv.workspace);
      await withConnection(argv, io, workspace, (connection) =>
        runPlan(
          planDepsOf(connection, io, workspace),
          {
            paths: argv.paths,
            targets: argv.target,
            replace: argv.replace,
            allowMassDelete: argv['allow-mass-delete'],
            allowForeignOrigin: argv['allow-foreign-origin'],
            format: argv.format,
            out: argv.out,
            detailedExitcode: argv['detailed-exitcode'],
            checkHistory: checkHistoryOption(argv['check-history']),
          },
          outputStreams(io, argv),
        ),
      );
    },
  };
  return command;
}

/** `--check-history[=N]`: a bare flag asks for the default N, `--no-check-history` (or 0) for none. */
function checkHistoryOption(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (raw === false || raw === 'false') return 0;
  if (raw === true || raw === '' || raw === 'true') return DEFAULT_HISTORY_EXECUTIONS;
  const text = String(raw).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > MAX_HISTORY_EXECUTIONS) {
    throw new InvalidInputError(
      `--check-history takes a number of executions from 0 to ${MAX_HISTORY_EXECUTIONS}, not "${text}".`,
    );
  }
  return value;
}
