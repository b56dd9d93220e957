/**
 * The README is executable: its tutorial's shell blocks (each preceded by `<!-- tutorial -->`, or
 * `<!-- tutorial exit=N -->` when the block ends with exit code N) run in order, in one temporary home, against
 * `--local`; every other `titan …` command line in a shell block names a real command and real flags; the
 * manifest reference names every field of the schemas; and every exit code and refusal is documented.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../unit/workflow/workflow.js';
import { REPO_ROOT, TITAN_BIN, cleanEnv, describeRun, runCommand, runTitan } from './examples-cli.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Set for tutorial blocks: the exit code the block must end with. */
  tutorialExit?: number;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] ?? '')) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    let previous = i - 1;
    while (previous >= 0 && lines[previous]?.trim() === '') previous--;
    const marker = /^<!-- tutorial(?: exit=(\d+))? -->$/.exec(lines[previous]?.trim() ?? '');
    blocks.push({
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n'),
      ...(marker ? { tutorialExit: Number(marker[1] ?? 0) } : {}),
    });
    i = end;
  }
  return blocks;
}

describe('the README tutorial', () => {
  const tutorial = shellBlocks(README).filter((block) => block.tutorialExit !== undefined);

  it('has the steps of the tutorial, all with --local', () => {
    const text = tutorial.map((block) => block.code).join('\n');
    for (const step of ['npm link', 'titan validate', 'titan plan', 'titan apply', 'titan run', '--export']) {
      expect(text).toContain(step);
    }
    for (const line of text
      .split('\n')
      .filter((l) => /^titan (plan|apply|run|drift|results|executions)\b/.test(l))) {
      expect(line).toContain('--local');
    }
  });

  it('runs block by block with the documented exit codes', async () => {
    // `npm link` puts titan on PATH; a private prefix and home keep the machine untouched.
    const home = makeTempDir('titan-readme-');
    const prefix = path.join(home, 'npm-prefix');
    const cwdFile = path.join(home, '.tutorial-cwd');
    const env = cleanEnv({
      HOME: home,
      NPM_CONFIG_PREFIX: prefix,
      npm_config_prefix: prefix,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`,
    });
    let cwd = REPO_ROOT; // the tutorial starts in the titan checkout
    for (const block of tutorial) {
      // Each block runs with `bash -e` where the previous one ended (so `cd` carries over).
      const script = `trap 'pwd > "${cwdFile}"' EXIT\n${block.code}`;
      const result = await runCommand('bash', ['-e', '-c', script], cwd, env);
      expect(result.code, `README.md:${block.line}\n${block.code}\n${describeRun(result)}`).toBe(
        block.tutorialExit,
      );
      cwd = readFileSync(cwdFile, 'utf8').trim();
    }
    expect(cwd.startsWith(home)).toBe(true);
    const results = JSON.parse(readFileSync(path.join(cwd, 'results.json'), 'utf8')) as unknown[];
    expect(results.length).toBeGreaterThan(0);
  });
});

/** `titan …` command lines: in shell blocks (prompts and comments removed) and in inline code spans. */
function titanCommandLines(): { line: number; words: string[] }[] {
  const found: { line: number; words: string[] }[] = [];
  const add = (line: number, text: string) => {
    const command = text
      .trim()
      .replace(/^\$ /, '')
      .replace(/\s+#.*$/, '');
    if (command.startsWith('titan ')) found.push({ line, words: command.split(/\s+/).slice(1) });
  };
  for (const block of shellBlocks(README)) {
    for (const raw of block.code.replace(/\\\n\s*/g, ' ').split('\n')) {
      for (const part of raw.split(/&&|\|\||;|\|/)) add(block.line, part);
    }
  }
  README.split('\n').forEach((text, index) => {
    if (text.startsWith('```') || text.startsWith('    ')) return;
    for (const match of text.matchAll(/`(titan [^`]+)`/g))
      add(index + 1, (match[1] ?? '').replace(/\\\|/g, '|'));
  });
  return found;
}

describe('every titan command line in the README', () => {
  // `titan … --help` outputs, each spawned once, at most four at a time (the machine may have two cores).
  const helpCache = new Map<string, Promise<{ code: number; text: string }>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const help = (words: string[]) => {
    const key = words.join(' ');
    let entry = helpCache.get(key);
    if (!entry) {
      entry = (async () => {
        if (running >= 4) await new Promise<void>((resolve) => waiting.push(resolve));
        running++;
        try {
          const result = await runCommand(
            process.execPath,
            [TITAN_BIN, ...words, '--help'],
            REPO_ROOT,
            cleanEnv(),
          );
          return { code: result.code, text: result.stdout + result.stderr };
        } finally {
          running--;
          waiting.shift()?.();
        }
      })();
      helpCache.set(key, entry);
    }
    return entry;
  };

  /** Problems with one command line: an unknown command, a --help that fails, an option the command lacks. */
  async function checkLine(line: number, words: string[]): Promise<string[]> {
    const first = words[0] ?? '';
    const command: string[] = [];
    if (!first.startsWith('-')) {
      const listed = new RegExp(`^\\s+titan ${first.replace(/[^a-z-]/g, '')}\\b`, 'm').test(
        (await help([])).text,
      );
      if (!listed || !/^[a-z-]+$/.test(first)) return [`README.md:${line}: no command "titan ${first}"`];
      command.push(first);
      // A nested command (titan state list, titan executions get …) when the parent's help lists it.
      const second = words[1];
      if (second && /^[a-z-]+$/.test(second)) {
        if (new RegExp(`titan ${first} ${second}\\b`).test((await help(command)).text)) command.push(second);
      }
    }
    const { code, text } = await help(command);
    const problems = code === 0 ? [] : [`README.md:${line}: titan ${command.join(' ')} --help exits ${code}`];
    for (const word of words) {
      const flag = /^\[?--(?:no-)?([a-z][a-z0-9-]*)/.exec(word)?.[1];
      if (flag && !new RegExp(`--(no-)?${flag}\\b`).test(text)) {
        problems.push(`README.md:${line}: titan ${command.join(' ')} has no --${flag}`);
      }
    }
    return problems;
  }

  it('names an existing command and options that command has', async () => {
    const lines = titanCommandLines();
    expect(lines.length).toBeGreaterThan(40);
    const problems = (await Promise.all(lines.map(({ line, words }) => checkLine(line, words)))).flat();
    expect(problems).toEqual([]);
  });
});

describe('the README reference', () => {
  it('documents every field of the manifest and task schemas', () => {
    const names = new Set<string>();
    const collect = (schema: unknown): void => {
      if (schema === null || typeof schema !== 'object') return;
      const node = schema as Record<string, unknown>;
      if (node.properties && typeof node.properties === 'object') {
        for (const [name, sub] of Object.entries(node.properties)) {
          names.add(name);
          collect(sub);
        }
      }
      for (const key of ['$defs', 'items', 'allOf', 'oneOf', 'anyOf']) {
        const value = node[key];
        if (Array.isArray(value)) value.forEach(collect);
        else if (value && typeof value === 'object') Object.values(value).forEach(collect);
      }
    };
    for (const file of ['manifest.schema.json', 'task.schema.json']) {
      collect(JSON.parse(readFileSync(path.join(REPO_ROOT, 'schemas', file), 'utf8')));
    }
    // `labels` or `metadata.labels`
    const missing = [...names].filter((name) => !new RegExp(`\`([\\w.]+\\.)?${name}\``).test(README));
    expect(missing).toEqual([]);
  });

  it('documents every exit code', () => {
    const errors = readFileSync(path.join(REPO_ROOT, 'src/core/errors.ts'), 'utf8');
    const codes = [...errors.matchAll(/^\s+[a-zA-Z]+: (\d+),$/gm)].map((match) => match[1]);
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) expect(README).toMatch(new RegExp(`^\\| \`${code}\` +\\|`, 'm'));
  });

  it('has a troubleshooting entry for every refusal and invalid-input error titan can print', () => {
    const refusals = new Map<string, string>();
    for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
      const source = readFileSync(file, 'utf8');
      for (const fragment of refusalFragments(source)) refusals.set(fragment, path.relative(REPO_ROOT, file));
    }
    expect(refusals.size).toBeGreaterThan(5);
    const troubleshooting = README.slice(README.indexOf('## Troubleshooting'));
    const missing = [...refusals].filter(([fragment]) => !troubleshooting.includes(fragment));
    expect(missing.map(([fragment, file]) => `${file}: "${fragment}"`)).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
}

/**
 * The longest literal part of every refusal and invalid-input message in `source`: the first string argument of
 * each `new RefusedError(` and `new InvalidInputError(`, and every message that starts with "Refusing" (the
 * planner's guards build theirs as data).
 */
function refusalFragments(source: string): string[] {
  const starts: number[] = [];
  for (const match of source.matchAll(/new (?:RefusedError|InvalidInputError)\(\s*/g))
    starts.push(match.index + match[0].length);
  for (const match of source.matchAll(/[`'"]Refusing /g)) starts.push(match.index);
  return starts.flatMap((start) => {
    const parts = literalParts(source, start);
    const longest = parts.map((part) => part.trim()).sort((a, b) => b.length - a.length)[0];
    return longest && longest.length >= 10 ? [longest] : [];
  });
}

/** The literal text pieces of the string or template literal at `start` (nothing when it is not a literal). */
function literalParts(source: string, start: number): string[] {
  const quote = source[start];
  if (quote !== '`' && quote !== "'" && quote !== '"') return [];
  const parts: string[] = [];
  let current = '';
  for (let i = start + 1; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      current += source[i + 1] === 'n' ? ' ' : (source[i + 1] ?? '');
      i++;
    } else if (char === quote) break;
    else if (quote === '`' && char === '$' && source[i + 1] === '{') {
      parts.push(current);
      current = '';
      let depth = 0;
      for (i += 1; i < source.length; i++) {
        if (source[i] === '{') depth++;
        else if (source[i] === '}' && --depth === 0) break;
      }
    } else current += char;
  }
  parts.push(current);
  return parts;
}

describe('titan init as the README describes it', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('titan-readme-init-');
    mkdirSync(path.join(dir, 'ws'));
    writeFileSync(path.join(dir, 'ws', '.keep'), '');
  });

  it('is mentioned with the files it writes', async () => {
    const result = await runTitan(['init', 'ws'], { cwd: dir });
    expect(result.code, describeRun(result)).toBe(0);
    for (const file of ['tasks/first-task.yaml', '.github/workflows/titan.yml', '.gitignore']) {
      expect(README).toContain(file);
    }
  });
});
