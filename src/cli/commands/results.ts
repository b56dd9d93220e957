/** `titan results ID`, `titan results export ID`, `titan results download ID`. */
import type { Argv } from 'yargs';
import { InvalidInputError } from '../../core/errors.js';
import type { ExportFormat } from '../../core/service/types.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import {
  EXPORT_FORMAT_CHOICES,
  executionIdPositional,
  requireOutput,
  requiredOutputOption,
  withRuntime,
  type RuntimeArgs,
} from './run.js';

interface ResultsArgs extends RuntimeArgs {
  id: string;
  format?: ExportFormat;
  output?: string;
}

const outputOption = {
  alias: 'o',
  type: 'string',
  describe: 'Write to FILE (complete or not at all); default: stdout',
} as const;

export function resultsCommand(io: ProcessIO): TitanCommand {
  return {
    command: 'results',
    describe: 'Results of an execution: metadata (results ID), export, CSV download',
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs
        .command({
          command: 'export <id>',
          describe: 'Stream the results as json, ndjson or csv to a file or stdout',
          builder: (y: Argv<GlobalOptions>) =>
            executionIdPositional(y)
              .option('format', {
                choices: EXPORT_FORMAT_CHOICES,
                describe: 'Default: from the -o FILE extension (.csv, .ndjson/.jsonl), else json',
              })
              .option('output', outputOption),
          handler: async (argv: ResultsArgs) => {
            const { exportResults } = await import('../../app/runtime/results.js');
            await withRuntime(argv, io, (ctx) =>
              exportResults(ctx, argv.id, { format: argv.format, output: argv.output }),
            );
          },
        })
        .command({
          command: 'download <id>',
          describe: 'Stream the CSV download of the results to FILE (-o - for stdout)',
          builder: (y: Argv<GlobalOptions>) =>
            executionIdPositional(y).option('output', requiredOutputOption),
          handler: async (argv: ResultsArgs) => {
            const output = requireOutput(argv.output, 'results download');
            const { exportResults } = await import('../../app/runtime/results.js');
            await withRuntime(argv, io, (ctx) => exportResults(ctx, argv.id, { output, download: true }));
          },
        })
        .command({
          command: ['show <id>', '$0 <id>'],
          describe: 'Results metadata: ready, record count, formats',
          builder: executionIdPositional,
          handler: async (argv: ResultsArgs) => {
            if (!argv.id) {
              throw new InvalidInputError(
                'Name an execution: titan results ID, titan results export|download ID.',
              );
            }
            const { showResults } = await import('../../app/runtime/results.js');
            await withRuntime(argv, io, (ctx) => showResults(ctx, argv.id));
          },
        }),
    handler: () => {},
  };
}
