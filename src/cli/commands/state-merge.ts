/**
 * `titan state merge`: as git's merge driver (`titan state merge %O %A %B %P`, result written over %A), or by hand
 * on a lockfile git left conflicted (`titan state merge FILE`, the versions read from git's index).
 */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { InvalidInputError, OperationalError } from '../../core/errors.js';
import type { ProcessIO } from '../io.js';
import type { GlobalOptions } from './types.js';

interface MergeArgs extends GlobalOptions {
  files: string[];
}

export function stateMergeCommand(io: ProcessIO): CommandModule<GlobalOptions, MergeArgs> {
  return {
    command: 'merge <files..>',
    describe:
      'Merge two versions of titan.lock entry by entry: the git merge driver (BASE OURS THEIRS [PATH]), or FILE while git shows it conflicted',
    builder: (y: Argv<GlobalOptions>) =>
      y
        .positional('files', {
          type: 'string',
          array: true,
          demandOption: true,
          describe: 'BASE OURS THEIRS [PATH] (git: %O %A %B %P), or one conflicted titan.lock',
        })
        .example(
          "git config merge.titan.driver 'titan state merge %O %A %B %P'",
          'Let git merge every titan.lock',
        )
        .example(
          'titan state merge teams/news/titan.lock',
          'Redo a merge git did as text',
        ) as Argv<MergeArgs>,
    handler: async (argv) => {
      const [{ stateMerge }, { readFile }, { writeFileAtomic }] = await Promise.all([
        import('../../app/state-merge.js'),
        import('node:fs/promises'),
        import('../../io/files.js'),
      ]);
      const files = argv.files.map(String);
      if (files.length === 1) {
        const { readConflictStages } = await import('../../io/git-stages.js');
        const file = path.resolve(io.cwd, files[0] as string);
        const stages = await readConflictStages(file);
        const outcome = await stateMerge(
          { writeResult: (text) => writeFileAtomic(file, text) },
          { ...stages, display: files[0] as string },
        );
        io.stdout.write(
          `Merged ${files[0]} entry by entry: ${outcome.entries} tasks, serial ${outcome.serial}. Mark it resolved: git add ${files[0]}\n`,
        );
        return;
      }
      if (files.length !== 3 && files.length !== 4) {
        throw new InvalidInputError(
          `titan state merge takes BASE OURS THEIRS [PATH] (as git's merge driver) or one conflicted lockfile; got ${files.length} arguments.`,
          "git config merge.titan.driver 'titan state merge %O %A %B %P'",
        );
      }
      const [base, ours, theirs, shown] = files.map((file) => path.resolve(io.cwd, file));
      const read = async (file: string): Promise<string> => {
        try {
          return await readFile(file, 'utf8');
        } catch (error) {
          throw new OperationalError(
            `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          );
        }
      };
      const outcome = await stateMerge(
        { writeResult: (text) => writeFileAtomic(ours as string, text) },
        {
          base: await read(base as string),
          ours: await read(ours as string),
          theirs: await read(theirs as string),
          display: files[3] ?? path.relative(io.cwd, shown ?? (ours as string)),
        },
      );
      // Git shows a driver's output while it merges; one line says which lockfile titan merged.
      io.stderr.write(
        `titan: merged ${files[3] ?? 'titan.lock'} entry by entry (${outcome.entries} tasks, serial ${outcome.serial}).\n`,
      );
    },
  };
}
