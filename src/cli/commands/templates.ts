/** `titan templates list`, `titan templates show ID_OR_SLUG`. */
import type { Argv } from 'yargs';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions, TitanCommand } from './types.js';
import { runtimeOptions, withRuntime, type RuntimeArgs } from './run.js';

interface TemplateArgs extends RuntimeArgs {
  'id-or-slug': string;
}

export function templatesCommand(io: ProcessIO): TitanCommand {
  return {
    command: 'templates <command>',
    describe: 'Templates that modular tasks can start from (template_slug / template_id)',
    builder: (yargs: Argv<GlobalOptions>) =>
      yargs
        .command({
          command: 'list',
          describe: 'Every template: slug, name, action type, id',
          builder: (y: Argv<GlobalOptions>) => y.options(runtimeOptions),
          handler: async (argv: RuntimeArgs) => {
            const { listTemplates } = await import('../../app/runtime/templates.js');
            await withRuntime(argv, io, (ctx) => listTemplates(ctx));
          },
        })
        .command({
          command: 'show <id-or-slug>',
          describe: 'One template, with its defaults',
          builder: (y: Argv<GlobalOptions>) =>
            y.positional('id-or-slug', { type: 'string', demandOption: true }).options(runtimeOptions),
          handler: async (argv: TemplateArgs) => {
            const { showTemplate } = await import('../../app/runtime/templates.js');
            await withRuntime(argv, io, (ctx) => showTemplate(ctx, argv['id-or-slug']));
          },
        })
        .demandCommand(1, 'Name a templates subcommand (see titan templates --help).'),
    handler: () => {},
  };
}
