/**
 * The three versions git keeps of a file it left conflicted (index stages 1 base, 2 ours, 3 theirs), so that
 * `titan state merge FILE` can redo a merge git did as text, without the merge driver.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { InvalidInputError, OperationalError } from '../core/errors.js';

export interface ConflictStages {
  /** Null when the file has no common ancestor (both sides created it). */
  base: string | null;
  ours: string;
  theirs: string;
}

function git(args: string[], cwd: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(
          new OperationalError(
            `Cannot run git: ${error.message}`,
            'Install git, or pass the three versions: titan state merge BASE OURS THEIRS',
          ),
        );
        return;
      }
      resolve({ ok: !error, stdout, stderr });
    });
  });
}

/** The conflict stages of `file` (absolute); InvalidInputError when git holds no conflict for it. */
export async function readConflictStages(file: string): Promise<ConflictStages> {
  const cwd = path.dirname(file);
  const name = `./${path.basename(file)}`;
  const listed = await git(['ls-files', '--unmerged', '--', name], cwd);
  const stages = new Set(
    listed.stdout
      .split('\n')
      .map((line) => /^\d+ [0-9a-f]+ (\d)\t/.exec(line)?.[1])
      .filter((stage): stage is string => stage !== undefined),
  );
  if (!listed.ok || !stages.has('2') || !stages.has('3')) {
    throw new InvalidInputError(
      `git holds no merge conflict for ${file}${listed.ok ? '' : ` (${listed.stderr.trim()})`}.`,
      'titan state merge FILE redoes the merge of a lockfile git left conflicted (during a merge, rebase or cherry-pick). ' +
        'As the merge driver git calls it with three files: titan state merge %O %A %B %P.',
    );
  }
  const show = async (stage: string): Promise<string> => {
    const shown = await git(['show', `:${stage}:${name}`], cwd);
    if (!shown.ok) throw new OperationalError(`git show :${stage}:${name} failed: ${shown.stderr.trim()}`);
    return shown.stdout;
  };
  return {
    base: stages.has('1') ? await show('1') : null,
    ours: await show('2'),
    theirs: await show('3'),
  };
}
