/** `titan media list EXECUTION_ID`, `titan media download EXECUTION_ID MEDIA_ID -o FILE`. */
import type { Argv } from 'yargs';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { requireOutput, requiredOutputOption, runtimeOptions, withRuntime, type RuntimeArgs } from './run.js';

interface MediaArgs extends RuntimeArgs {
  'execution-id': string;
  'media-id'?: string;
  output?: string;
}

export function mediaCommand(io: ProcessIO): TitanCommand {
  return {
    command: 'media <command>',
    describe: "Media stored for an execution's media fields: list and download",
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs
        .command({
          command: 'list <execution-id>',
          describe: 'Media of an execution: id, content type, size, URL',
          builder: (y: Argv<GlobalOptions>) =>
            y.positional('execution-id', { type: 'string', demandOption: true }).options(runtimeOptions),
          handler: async (argv: MediaArgs) => {
            const { listMedia } = await import('../../app/runtime/media.js');
            await withRuntime(argv, io, (ctx) => listMedia(ctx, argv['execution-id']));
          },
        })
        .command({
          command: 'download <execution-id> <media-id>',
          describe: 'Stream one media file to FILE (-o - for stdout)',
          builder: (y: Argv<GlobalOptions>) =>
            y
              .positional('execution-id', { type: 'string', demandOption: true })
              .positional('media-id', { type: 'string', demandOption: true })
              .option('output', requiredOutputOption)
              .options(runtimeOptions),
          handler: async (argv: MediaArgs) => {
            const output = requireOutput(argv.output, 'media download');
            const { downloadMedia } = await import('../../app/runtime/media.js');
            await withRuntime(argv, io, (ctx) =>
              downloadMedia(ctx, argv['execution-id'], argv['media-id'] ?? '', output),
            );
          },
        })
        .demandCommand(1, 'Name a media subcommand (see titan media --help).'),
    handler: () => {},
  };
}
