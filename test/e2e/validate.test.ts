/**
 * `titan validate` through the built CLI (`npm run build` first): the three formats, exit codes, colour, and no
 * stack trace whatever the input.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, describeRun, REPO_ROOT, runTitan, type CliResult } from './examples-cli.js';

const fixtures = path.join(REPO_ROOT, 'test/fixtures/manifests');
const validEnv = cleanEnv({ TITAN_TEST_PARTNER_TOKEN: 'token-from-env' });
const scratch = mkdtempSync(path.join(tmpdir(), 'titan-validate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const validate = (args: string[], env = validEnv, cwd = fixtures): Promise<CliResult> =>
  runTitan(['validate', ...args], { cwd, env });

function expectNoStackTrace(result: CliResult): void {
  expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/\n\s+at .+:\d+:\d+|Internal error/);
}

describe('titan validate', () => {
  it('exits 0 with a summary for valid manifests', async () => {
    const result = await validate(['valid']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toBe('✓ 9 tasks in 6 files are valid\n');
    expect(result.stderr).toBe('');
  });

  it('validates the working directory by default, and the examples', async () => {
    const here = await validate([], validEnv, path.join(fixtures, 'valid'));
    expect(here.code, describeRun(here)).toBe(0);
    const examples = await runTitan(['validate', 'examples/'], { cwd: REPO_ROOT, env: cleanEnv() });
    expect(examples.code, describeRun(examples)).toBe(0);
    expect(examples.stdout).toMatch(/^✓ \d+ tasks in \d+ files are valid\n$/);
  });

  it('text: exits 3 with each error grouped by file, a source excerpt and a caret', async () => {
    const result = await validate([
      'invalid/enum-execution-type.yaml',
      'invalid/cron-hour.yaml',
      'invalid/unknown-field-typo.yaml',
    ]);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toContain(
      [
        'invalid/cron-hour.yaml',
        'error[TITAN_CRON_INVALID]: spec.schedule: the hour field "25" is invalid: 25 is out of range 0-23',
        '  --> invalid/cron-hour.yaml:14:16',
        '   |',
        '14 |   schedule: "0 25 * * *"',
        `   | ${' '.repeat(15)}^^`,
      ].join('\n'),
    );
    expect(result.stdout).toContain(
      'error[TITAN_SCHEMA_ENUM]: spec.execution_type must be one of: single, scheduled (got "daily")',
    );
    expect(result.stdout).toContain('   = hint: did you mean "proxy_locations"?');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 3 errors in 3 files');
    expect(result.stdout).not.toContain('\u001b[');
    expectNoStackTrace(result);
  });

  it('json: an array of diagnostics on stdout, nothing else', async () => {
    const result = await validate(['invalid/key-duplicate-across-files', '--format', 'json']);
    expect(result.code, describeRun(result)).toBe(3);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        file: 'invalid/key-duplicate-across-files/a.yaml',
        line: 5,
        column: 9,
        code: 'TITAN_TASK_KEY_DUPLICATE',
        severity: 'error',
        path: '/metadata/name',
      }),
      expect.objectContaining({
        file: 'invalid/key-duplicate-across-files/b.yaml',
        line: 5,
        column: 9,
        code: 'TITAN_TASK_KEY_DUPLICATE',
      }),
    ]);
    const valid = await validate(['valid', '--format', 'json']);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toEqual([]);
  });

  it('github: annotations, chosen automatically under GitHub Actions', async () => {
    const env = cleanEnv({ GITHUB_ACTIONS: 'true' });
    const result = await validate(['invalid/url-duplicate.yaml'], env);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toMatch(
      /^::error file=invalid\/url-duplicate\.yaml,line=11,col=7,title=TITAN_URL_DUPLICATE::spec\.urls\[2\] repeats/m,
    );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 1 error in 1 file');
    const text = await validate(['invalid/url-duplicate.yaml', '--format', 'text'], env);
    expect(text.stdout).toContain('error[TITAN_URL_DUPLICATE]');
  });

  it('passes with warnings, fails on them with --strict', async () => {
    const dir = path.join(scratch, 'empty');
    mkdirSync(dir, { recursive: true });
    const lenient = await validate([dir]);
    expect(lenient.code, describeRun(lenient)).toBe(0);
    expect(lenient.stdout).toContain('warning[TITAN_NO_MANIFESTS]');
    const strict = await validate([dir, '--strict']);
    expect(strict.code, describeRun(strict)).toBe(3);
    // The warning is about no file: none is counted.
    expect(strict.stdout.trimEnd().split('\n').at(-1)).toBe('✗ 1 warning (--strict)');
  });

  it('accepts a $ref to a schema beside the folder validated, inside the repository', async () => {
    const result = await runTitan(['validate', 'tasks'], {
      cwd: path.join(REPO_ROOT, 'examples/product-monitoring'),
      env: cleanEnv(),
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(/^✓ 4 tasks in 3 files are valid\n$/);
  });

  it('github: annotation paths relative to GITHUB_WORKSPACE, so they land on the file', async () => {
    const env = cleanEnv({ GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: REPO_ROOT });
    const result = await validate(['invalid/url-duplicate.yaml'], env);
    expect(result.stdout).toMatch(
      /^::error file=test\/fixtures\/manifests\/invalid\/url-duplicate\.yaml,line=11,col=7,/m,
    );
  });

  it('shows excerpts of referenced schema files, from the text it checked', async () => {
    const result = await validate(['invalid/ref-file-bad-keyword']);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toMatch(/-->.*schemas\/product\.json:5:\d+\n.*\n5 \| /);
  });

  it('--list-codes prints every diagnostic code with its meaning', async () => {
    const result = await validate(['--list-codes']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toMatch(
      /^TITAN_CRON_INVALID +spec\.schedule is not a valid 5-field cron expression$/m,
    );
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .every((row) => /^TITAN_[A-Z_]+ {2,}\S/.test(row)),
    ).toBe(true);
  });

  it('refuses /dev/zero at once instead of reading it forever', async () => {
    const result = await validate(['/dev/zero']);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stdout).toContain('error[TITAN_FILE_UNREADABLE]: /dev/zero is not a regular file');
  });

  it('never prints a value from the environment, in any format', async () => {
    const file = path.join(scratch, 'secret-ref.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: titan/v1',
        'kind: Task',
        'metadata: { name: secret-ref }',
        'spec:',
        '  execution_type: single',
        '  urls: [https://shop.example/]',
        '  objective: x',
        '  output_schema:',
        '    type: object',
        '    properties:',
        '      a: { type: string, format: "${env:FMT}" }',
        '      b: { $ref: "./${env:REF}.json" }',
        '      c: { $ref: "#/$defs/${env:DEF}" }',
        '',
      ].join('\n'),
    );
    const env = cleanEnv({ FMT: 'hunter2-format', REF: 'hunter2-ref', DEF: 'hunter2-def' });
    for (const format of ['text', 'json', 'github']) {
      const result = await validate([file, '--format', format], env);
      expect(result.code, describeRun(result)).toBe(3);
      expect(`${result.stdout}${result.stderr}`).not.toContain('hunter2');
      expect(result.stdout).toContain('(sensitive)');
    }
  });

  it('colours on request (FORCE_COLOR) and never with NO_COLOR', async () => {
    const coloured = await validate(['invalid/enum-kind.yaml'], { PATH: process.env.PATH, FORCE_COLOR: '1' });
    expect(coloured.stdout).toContain('\u001b[31m');
    const plain = await validate(['invalid/enum-kind.yaml'], {
      PATH: process.env.PATH,
      FORCE_COLOR: '1',
      NO_COLOR: '1',
    });
    expect(plain.stdout).not.toContain('\u001b[');
  });

  it('reports a missing path as invalid input', async () => {
    const result = await validate(['no-such-folder']);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('error[TITAN_PATH_NOT_FOUND]: no such file or folder: no-such-folder');
  });

  it.each([
    ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))],
    ['a bracket bomb', `${'['.repeat(200_000)}\n`],
    [
      'an alias bomb',
      `a: &a [x,x,x,x,x,x,x,x,x,x]\n${'bcdefghij'
        .split('')
        .map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(',')}]`)
        .join('\n')}\n`,
    ],
    ['a file over the size limit', `x: "${'y'.repeat(5 * 1024 * 1024)}"\n`],
    ['control characters', 'apiVersion: "\u001b]0;title\u0007"\nkind: \u0000\n'],
    ['a lone document marker soup', '---\n...\n---\n- [\n? : :\n%TAG ! !\n'],
  ])('refuses %s with diagnostics, exit 3 and no stack trace', async (name, content) => {
    const file = path.join(scratch, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, content);
    for (const format of ['text', 'json', 'github']) {
      const result = await validate([file, '--format', format]);
      expect(result.code, describeRun(result)).toBe(3);
      expect(result.stderr).toBe('');
      expectNoStackTrace(result);
      expect(result.stdout).not.toMatch(/[\u0000\u0007]/);
    }
  });
});
