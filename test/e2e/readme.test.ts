/**
 * The README is executable: its tutorial's shell blocks (each preceded by `<!-- tutorial -->`, or
 * `<!-- tutorial exit=N -->` when the block ends with exit code N) run in order, in one temporary home, against
 * `--local`, and print what the sample output after them shows; the newcomer block runs after `npm run demo`'s
 * titan commands in a copy of the checkout's layout; the emulator starts and stops as shown; every other
 * `titan …` command line in a shell block names a real command and real flags; the manifest reference names
 * every field of the schemas; and every exit code and refusal is documented.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { INIT_TARGETS } from '../../src/app/init.js';
import {
  REPO_ROOT,
  TITAN_BIN,
  cleanEnv,
  describeRun,
  runCommand,
  runTitan,
  useTempDirs,
} from './examples-cli.js';

const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const makeTempDir = useTempDirs();

interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** The `<!-- name -->` marker right above the block, if any (`tutorial`, `newcomer`). */
  marker?: string;
  /** Set for tutorial blocks: the exit code the block must end with. */
  tutorialExit?: number;
  /** The ```text block right after this one (only blank lines between): its sample output. */
  sample?: string;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  const fenceEnd = (start: number): number => {
    const end = lines.findIndex((line, j) => j > start && line.startsWith('```'));
    if (end < 0) throw new Error(`unclosed code block at line ${start + 1}`);
    return end;
  };
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] ?? '')) continue;
    const end = fenceEnd(i);
    let previous = i - 1;
    while (previous >= 0 && lines[previous]?.trim() === '') previous--;
    const marker = /^<!-- ([a-z]+)(?: exit=(\d+))? -->$/.exec(lines[previous]?.trim() ?? '');
    let next = end + 1;
    while (next < lines.length && lines[next]?.trim() === '') next++;
    const sample = lines[next] === '```text' ? lines.slice(next + 1, fenceEnd(next)).join('\n') : undefined;
    blocks.push({
      line: i + 1,
      code: lines.slice(i + 1, end).join('\n'),
      ...(marker ? { marker: marker[1] } : {}),
      ...(marker?.[1] === 'tutorial' ? { tutorialExit: Number(marker[2] ?? 0) } : {}),
      ...(sample === undefined ? {} : { sample }),
    });
    i = end;
  }
  return blocks;
}

/** Output with what changes from run to run (ids, durations, sizes, times, timestamps) made generic. */
function normalised(text: string): string[] {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\[\d+:\d\d\]/g, '[m:ss]')
    .replace(/\bin \d+(\.\d+)?(ms|s)\b/g, 'in <duration>')
    .replace(/\b\d+(\.\d+)? (B|kB|MB)\b/g, '<size>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

/** The sample's lines that do not appear, in order, in the actual output ([] when the sample is faithful). */
function linesNotShown(sample: string, actual: string): string[] {
  const real = normalised(actual);
  let at = 0;
  const missing: string[] = [];
  for (const line of normalised(sample)) {
    const found = real.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

/** A folder on PATH with a `titan` that runs the built CLI, as `npm link` would give. */
function titanOnPath(): string {
  const bin = makeTempDir('titan-bin-');
  writeFileSync(path.join(bin, 'titan'), `#!/bin/sh\nexec "${process.execPath}" "${TITAN_BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'titan'), 0o755);
  return bin;
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

  it(
    'runs block by block with the documented exit codes and sample outputs',
    { timeout: 180_000 },
    async () => {
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
        // Each block runs with `bash -e` where the previous one ended (so `cd` carries over), its stderr merged
        // into stdout so the output reads in the order a terminal shows it.
        const script = `exec 2>&1\ntrap 'pwd > "${cwdFile}"' EXIT\n${block.code}`;
        const result = await runCommand('bash', ['-e', '-c', script], cwd, env);
        const context = `README.md:${block.line}\n${block.code}\n${describeRun(result)}`;
        expect(result.code, context).toBe(block.tutorialExit);
        if (block.sample !== undefined) {
          expect(linesNotShown(block.sample, result.stdout), context).toEqual([]);
        }
        cwd = readFileSync(cwdFile, 'utf8').trim();
      }
      expect(cwd.startsWith(home)).toBe(true);
      const results = JSON.parse(readFileSync(path.join(cwd, 'results.json'), 'utf8')) as unknown[];
      expect(results.length).toBeGreaterThan(0);
    },
  );
});

describe('the README outside the tutorial', () => {
  it(
    "`npm run demo` and then the newcomer commands work in the checkout's layout",
    { timeout: 120_000 },
    async () => {
      // A fresh copy of examples/quickstart where the checkout has it (the checkout's own may hold state).
      const root = makeTempDir('titan-demo-');
      cpSync(path.join(REPO_ROOT, 'examples', 'quickstart'), path.join(root, 'examples', 'quickstart'), {
        recursive: true,
        filter: (source) => !['titan.lock', '.titan'].includes(path.basename(source)),
      });
      const scripts = (
        JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts;
      // `npm run demo` builds (npm test has built already), then runs titan commands.
      const steps = (scripts.demo ?? '').split('&&').map((step) => step.trim());
      expect(steps[0]).toBe('npm run build');
      const titanSteps = steps.slice(1);
      expect(titanSteps.length).toBeGreaterThan(0);
      for (const step of titanSteps) {
        expect(step.startsWith('node dist/titan.js ')).toBe(true);
        const args = step.slice('node dist/titan.js '.length).split(/\s+/);
        const result = await runTitan(args, { cwd: root });
        expect(result.code, `${step}\n${describeRun(result)}`).toBe(0);
      }

      const newcomer = shellBlocks(README).filter((block) => block.marker === 'newcomer');
      expect(newcomer).toHaveLength(1);
      const env = cleanEnv({ PATH: `${titanOnPath()}:${process.env.PATH}` });
      const result = await runCommand('bash', ['-e', '-c', newcomer[0]?.code ?? ''], root, env);
      expect(result.code, describeRun(result)).toBe(0);
      const records = JSON.parse(readFileSync(path.join(root, 'results.json'), 'utf8')) as unknown[];
      expect(records.length).toBeGreaterThan(0);
    },
  );

  it('starts the emulator as shown, serves titan, and stops on Ctrl-C', { timeout: 60_000 }, async () => {
    const line = shellBlocks(README)
      .flatMap((block) => block.code.split('\n'))
      .find((text) => text.startsWith('titan emulator '));
    expect(line).toMatch(/--data-dir \S+/);
    // The documented port, swapped for a free one so the test never collides with anything.
    const args = (line ?? '')
      .replace(/--port \d+/, '--port 0')
      .split(/\s+/)
      .slice(1);
    const dir = makeTempDir('titan-emulator-');
    const child = spawn(process.execPath, [TITAN_BIN, ...args], { cwd: dir, env: cleanEnv() });
    let stdout = '';
    child.stderr.resume();
    const listening = new Promise<RegExpExecArray>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /listening on (http:\/\/\S+) \(token: (\S+)\)/.exec(stdout);
        if (match) resolve(match);
      });
    });
    const closed = once(child, 'close');
    try {
      const [, url, token] = await listening;
      // "Point titan at it with TITAN_API_URL and TITAN_TOKEN."
      const templates = await runTitan(['templates', 'list'], {
        cwd: dir,
        env: cleanEnv({ TITAN_API_URL: url, TITAN_TOKEN: token }),
      });
      expect(templates.code, describeRun(templates)).toBe(0);
      expect(templates.stdout).toContain('product-page');
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await closed) as [number | null];
    expect([0, 130]).toContain(code);
    const dataDir = /--data-dir (\S+)/.exec(line ?? '')?.[1] ?? '';
    expect(existsSync(path.join(dir, dataDir))).toBe(true);
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

  it('names an existing command and options that command has', { timeout: 60_000 }, async () => {
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

  it('writes the files the README mentions', async () => {
    const result = await runTitan(['init', 'ws'], { cwd: dir });
    expect(result.code, describeRun(result)).toBe(0);
    const targets = Object.values(INIT_TARGETS);
    expect(targets).toEqual(
      expect.arrayContaining(['tasks/first-task.yaml', '.github/workflows/titan.yml', '.gitignore']),
    );
    for (const file of targets) {
      expect(existsSync(path.join(dir, 'ws', file)), `titan init wrote ${file}`).toBe(true);
      expect(README).toContain(file);
    }
  });
});
