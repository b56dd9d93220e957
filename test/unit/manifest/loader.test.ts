/**
 * The loader as plan and apply use it: what a DesiredTask looks like, which files are read, how secrets stay
 * out of messages, and how hostile input is refused.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepEqual } from '../../../src/core/json.js';
import { DEFAULT_LIMITS } from '../../../src/core/manifest/yaml.js';
import { loadManifests } from '../../../src/io/manifests.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

const schemas = createManifestSchemas();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'titan-manifests-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(relative: string, text: string | Buffer): string {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const load = (
  paths: string[] = ['.'],
  env: NodeJS.ProcessEnv = {},
  extra: Partial<Parameters<typeof loadManifests>[1]> = {},
) => loadManifests(paths, { cwd: dir, env, workspaceRoot: dir, schemas, ...extra });

const manifest = (name: string, spec: string, metadata = ''): string =>
  `apiVersion: titan/v1\nkind: Task\nmetadata:\n  name: ${name}\n${metadata}spec:\n${spec}`;

const classicSpec = (extra = ''): string =>
  `  execution_type: single\n  urls: [https://shop.example/p/1]\n  objective: Extract the price\n  output_schema: { type: object, properties: { price: { type: number } } }\n${extra}`;

describe('desired tasks', () => {
  it('normalise the spec: name defaults to metadata.name, metadata defaults, source position', async () => {
    write('tasks/a.yaml', `# comment\n${manifest('prices', classicSpec())}`);
    const { tasks, diagnostics, files } = await load();
    expect(diagnostics).toEqual([]);
    expect(files).toEqual(['tasks/a.yaml']);
    expect(tasks).toEqual([
      {
        key: 'prices',
        spec: {
          name: 'prices',
          execution_type: 'single',
          urls: ['https://shop.example/p/1'],
          objective: 'Extract the price',
          output_schema: { type: 'object', properties: { price: { type: 'number' } } },
        },
        labels: {},
        previousNames: [],
        protect: false,
        source: { file: 'tasks/a.yaml', line: 2, column: 1 },
        // Where each field the manifest writes is; the defaulted name has no place.
        fieldSources: {
          execution_type: { line: 7, column: 3 },
          urls: { line: 8, column: 3 },
          objective: { line: 9, column: 3 },
          output_schema: { line: 10, column: 3 },
        },
        sensitivePaths: [],
      },
    ]);
  });

  it('record the line of each spec field, in flow style, in later documents and for a $ref output schema', async () => {
    write(
      'schemas/product.json',
      JSON.stringify({ type: 'object', properties: { price: { type: 'number' } } }),
    );
    write(
      'tasks.yaml',
      [
        manifest('block', classicSpec("  schedule: '0 * * * *'\n").replace('single', 'scheduled')),
        '---',
        'apiVersion: titan/v1',
        'kind: Task',
        'metadata: { name: flow }',
        'spec: { name: Flow, execution_type: single, urls: [https://shop.example/], objective: x,',
        '  output_schema: { $ref: ./schemas/product.json } }',
        '',
      ].join('\n'),
    );
    const { tasks, diagnostics } = await load();
    expect(diagnostics).toEqual([]);
    const [block, flow] = tasks;
    expect(block?.fieldSources).toEqual({
      execution_type: { line: 6, column: 3 },
      urls: { line: 7, column: 3 },
      objective: { line: 8, column: 3 },
      output_schema: { line: 9, column: 3 },
      schedule: { line: 10, column: 3 },
    });
    expect(flow?.source).toMatchObject({ line: 13 });
    expect(flow?.spec.output_schema).toEqual({ type: 'object', properties: { price: { type: 'number' } } });
    expect(flow?.fieldSources).toEqual({
      name: { line: 16, column: 9 },
      execution_type: { line: 16, column: 21 },
      urls: { line: 16, column: 45 },
      objective: { line: 16, column: 76 },
      output_schema: { line: 17, column: 3 },
    });
  });

  it('keep an explicit spec.name, labels, previous names and protect; sort tasks by key', async () => {
    write(
      'b.yaml',
      manifest(
        'zeta',
        classicSpec('  name: Zeta prices\n'),
        '  labels: { team: pricing }\n  previousNames: [old-zeta]\n  protect: true\n',
      ),
    );
    write('a.yaml', manifest('alpha', classicSpec()));
    const { tasks } = await load();
    expect(tasks.map((t) => t.key)).toEqual(['alpha', 'zeta']);
    expect(tasks[1]).toMatchObject({
      spec: { name: 'Zeta prices' },
      labels: { team: 'pricing' },
      previousNames: ['old-zeta'],
      protect: true,
      source: { file: 'b.yaml', line: 1 },
    });
  });

  it('do not depend on key order', async () => {
    write('a.yaml', manifest('one', classicSpec()));
    write(
      'b.yaml',
      `spec:\n  output_schema: { properties: { price: { type: number } }, type: object }\n  objective: Extract the price\n  urls: [https://shop.example/p/1]\n  execution_type: single\nmetadata:\n  name: two\nkind: Task\napiVersion: titan/v1\n`,
    );
    const { tasks, diagnostics } = await load();
    expect(diagnostics).toEqual([]);
    expect(tasks).toHaveLength(2);
    const [one, two] = tasks;
    expect(deepEqual({ ...one?.spec, name: 'x' }, { ...two?.spec, name: 'x' })).toBe(true);
  });

  it('bundle $refs: files inlined, their local refs resolved, $id and $schema dropped', async () => {
    write('schemas/money.yaml', 'type: number\nminimum: 0\n');
    write(
      'schemas/product.json',
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: 'https://schemas.example/product',
        type: 'object',
        properties: {
          price: { $ref: './money.yaml' },
          tags: { type: 'array', items: { $ref: '#/$defs/tag' } },
        },
        $defs: { tag: { type: 'string' } },
      }),
    );
    write(
      'task.yaml',
      manifest(
        'bundled',
        '  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema:\n    $ref: ./schemas/product.json\n    description: A product\n',
      ),
    );
    const { tasks, diagnostics, files } = await load();
    expect(diagnostics).toEqual([]);
    expect(files).toEqual(['task.yaml']); // schemas/money.yaml is a referenced schema, not a manifest
    expect(tasks[0]?.spec.output_schema).toEqual({
      type: 'object',
      description: 'A product',
      properties: {
        price: { type: 'number', minimum: 0 },
        tags: { type: 'array', items: { type: 'string' } },
      },
      $defs: { tag: { type: 'string' } },
    });
  });

  it('bundle the output schemas of execution plan steps', async () => {
    write('item.json', '{"type": "object", "properties": {"title": {"type": "string"}}}');
    write(
      'plan.yaml',
      manifest(
        'steps',
        '  execution_type: single\n  urls: [https://search.example/]\n  execution_plan:\n    steps:\n      - { action_type: search, input_source: static_urls }\n      - { action_type: scrape, input_source: previous_step, output_schema: { $ref: item.json } }\n',
      ),
    );
    const { tasks, diagnostics } = await load();
    expect(diagnostics).toEqual([]);
    expect(tasks[0]?.spec.execution_plan?.steps[1]?.output_schema).toEqual({
      type: 'object',
      properties: { title: { type: 'string' } },
    });
  });

  it('mark interpolated values sensitive, by JSON pointer into the spec', async () => {
    write(
      'api.yaml',
      manifest(
        'api',
        '  execution_type: single\n  action_type: api_call\n  input_source: task_url_inventory\n  payload:\n    auth: "Bearer ${env:API_TOKEN}"\n    region: eu\n    "a/b": ${env:REGION:-us}\n',
      ),
    );
    const { tasks, diagnostics } = await load(['.'], { API_TOKEN: 'tok-123' });
    expect(diagnostics).toEqual([]);
    expect(tasks[0]?.spec.payload).toEqual({ auth: 'Bearer tok-123', region: 'eu', 'a/b': 'us' });
    expect(tasks[0]?.sensitivePaths).toEqual(['/payload/auth', '/payload/a~1b']);
  });
});

describe('diagnostics', () => {
  it('report every problem at once, across documents and files', async () => {
    write(
      'a.yaml',
      `${manifest('one', classicSpec().replace('single', 'daily'))}---\n${manifest('Two', classicSpec())}`,
    );
    write('b.yaml', manifest('three', classicSpec().replace('https://shop.example/p/1', 'shop')));
    const { diagnostics } = await load();
    expect(diagnostics.map((d) => [d.file, d.line, d.code])).toEqual([
      ['a.yaml', 6, 'TITAN_SCHEMA_ENUM'],
      ['a.yaml', 14, 'TITAN_SCHEMA_PATTERN'],
      ['b.yaml', 7, 'TITAN_URL_INVALID'],
    ]);
  });

  it('never show a value that came from the environment', async () => {
    write(
      'a.yaml',
      manifest(
        'leak',
        classicSpec('  schedule: "${env:SCHEDULE}"\n')
          .replace('single', 'scheduled')
          .replace('https://shop.example/p/1', '"${env:TARGET}"'),
      ),
    );
    const { diagnostics } = await load(['.'], { TARGET: 'not-a-url-SECRET', SCHEDULE: '0 99 * * SECRET' });
    expect(diagnostics.map((d) => d.code)).toEqual(['TITAN_URL_INVALID', 'TITAN_CRON_INVALID']);
    for (const d of diagnostics) {
      expect(JSON.stringify(d)).not.toContain('SECRET');
      expect(d.message).toContain('(sensitive)');
    }
  });

  it('name missing paths and warn when there is nothing to read', async () => {
    expect((await load(['nope'])).diagnostics).toMatchObject([
      { code: 'TITAN_PATH_NOT_FOUND', file: 'nope', severity: 'error' },
    ]);
    mkdirSync(path.join(dir, 'empty'));
    expect((await load(['empty'])).diagnostics).toMatchObject([
      { code: 'TITAN_NO_MANIFESTS', severity: 'warning' },
    ]);
  });

  it('show paths outside the working directory as absolute', async () => {
    const file = write('x/a.yaml', 'apiVersion: [\n');
    const { diagnostics } = await loadManifests([file], {
      cwd: path.join(dir, 'elsewhere'),
      env: {},
      workspaceRoot: dir,
      schemas,
    });
    expect(diagnostics[0]?.file).toBe(file);
  });
});

describe('files', () => {
  it('skip dot-folders, dot-files and node_modules, but read a file named explicitly', async () => {
    write('.github/workflows/ci.yml', 'on: push\n');
    write('node_modules/pkg/x.yaml', 'nonsense: [\n');
    write('.pre-commit-config.yaml', 'repos: []\n');
    write('notes.txt', 'not yaml');
    write('tasks/a.yml', manifest('a', classicSpec()));
    write('other/manifest.txt', manifest('b', classicSpec()));
    const found = await load(['.']);
    expect(found.diagnostics).toEqual([]);
    expect(found.files).toEqual(['tasks/a.yml']);
    const explicit = await load(['other/manifest.txt', 'tasks']);
    expect(explicit.files).toEqual(['other/manifest.txt', 'tasks/a.yml']);
  });

  it('survive a symbolic link loop', async () => {
    write('tasks/a.yaml', manifest('a', classicSpec()));
    symlinkSync(path.join(dir, 'tasks'), path.join(dir, 'tasks', 'loop'));
    const { tasks, diagnostics } = await load();
    expect(diagnostics).toEqual([]);
    expect(tasks.map((t) => t.key)).toEqual(['a']);
  });

  it('skip empty documents and empty files', async () => {
    write('empty.yaml', '');
    write('comments.yaml', '# nothing here\n---\n---\n');
    write('a.yaml', `---\n${manifest('a', classicSpec())}---\n`);
    const { tasks, diagnostics } = await load();
    expect(diagnostics).toEqual([]);
    expect(tasks).toHaveLength(1);
  });
});

describe('hostile input', () => {
  it('refuses files over the size limit without parsing them', async () => {
    write('big.yaml', `objective: "${'x'.repeat(2000)}"\n`);
    const { diagnostics } = await load(['.'], {}, { limits: { ...DEFAULT_LIMITS, maxFileBytes: 1000 } });
    expect(diagnostics).toMatchObject([{ code: 'TITAN_FILE_TOO_LARGE', file: 'big.yaml', line: 1 }]);
  });

  it('refuses huge values', async () => {
    write('a.yaml', manifest('a', classicSpec().replace('Extract the price', 'x'.repeat(5000))));
    const { diagnostics } = await load(['.'], {}, { limits: { ...DEFAULT_LIMITS, maxValueBytes: 1000 } });
    expect(diagnostics).toMatchObject([{ code: 'TITAN_YAML_VALUE_TOO_LARGE', line: 8 }]);
  });

  it('refuses bytes that are not UTF-8', async () => {
    write('a.yaml', Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect((await load()).diagnostics).toMatchObject([{ code: 'TITAN_FILE_ENCODING', file: 'a.yaml' }]);
  });

  it('refuses an alias bomb of a billion nodes and still reports other files', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`).join(',')}]`,
      );
    }
    write('bomb.yaml', `${levels.join('\n')}\n`);
    write('ok.yaml', manifest('ok', classicSpec()));
    const { diagnostics, tasks } = await load();
    expect(diagnostics.map((d) => d.code)).toEqual(['TITAN_YAML_ALIAS_LIMIT']);
    expect(tasks.map((t) => t.key)).toEqual(['ok']);
  });

  it('does not mistake brackets in text for nesting', async () => {
    const docs = Array.from({ length: 100 }, (_, i) =>
      manifest(`t${i}`, classicSpec().replace('Extract the price', 'Extract [beta {draft "[" it\'s [x')),
    );
    write('many.yaml', docs.join('---\n'));
    const { diagnostics, tasks } = await load();
    expect(diagnostics).toEqual([]);
    expect(tasks).toHaveLength(100);
  });

  it('refuses deep nesting without exhausting the stack', async () => {
    write('deep.yaml', `${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    const { diagnostics } = await load();
    expect(diagnostics[0]?.code).toBe('TITAN_YAML_TOO_DEEP');
  });
});

describe('output schemas', () => {
  const withSchema = (schema: string): string =>
    manifest(
      's',
      `  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema:\n${schema}`,
    );

  it('accept draft-07 when declared, refuse other dialects', async () => {
    write(
      'a.yaml',
      withSchema(
        '    $schema: "http://json-schema.org/draft-07/schema#"\n    type: object\n    definitions: { a: { type: string } }\n',
      ),
    );
    expect((await load()).diagnostics).toEqual([]);
    write('a.yaml', withSchema('    $schema: "https://example.com/my-dialect"\n    type: object\n'));
    expect((await load()).diagnostics).toMatchObject([{ code: 'TITAN_OUTPUT_SCHEMA_INVALID', line: 10 }]);
  });

  it('report strict-mode findings as errors at the keyword: the schema must compile under strict mode', async () => {
    write(
      'a.yaml',
      withSchema(
        '    type: object\n    properties:\n      tags:\n        items: { type: string }\n      pair:\n        type: array\n        prefixItems: [{ type: string }, { type: number }]\n',
      ),
    );
    const { diagnostics, tasks } = await load();
    expect(diagnostics.map((d) => [d.code, d.severity, d.line])).toEqual([
      ['TITAN_OUTPUT_SCHEMA_STRICT', 'error', 13],
      ['TITAN_OUTPUT_SCHEMA_STRICT', 'error', 16],
    ]);
    expect(tasks).toEqual([]);
  });

  it('report every unknown keyword at once, with suggestions', async () => {
    write('a.yaml', withSchema('    type: object\n    propertys: {}\n    requird: []\n'));
    const { diagnostics } = await load();
    expect(diagnostics.map((d) => [d.line, d.hint])).toEqual([
      [11, 'did you mean "properties"?'],
      [12, 'did you mean "required"?'],
    ]);
  });

  it('explain that remote $refs are not fetched', async () => {
    write(
      'a.yaml',
      withSchema('    type: object\n    properties:\n      a: { $ref: "https://schemas.example/a.json" }\n'),
    );
    const { diagnostics } = await load();
    expect(diagnostics).toMatchObject([{ code: 'TITAN_OUTPUT_SCHEMA_INVALID', line: 12 }]);
    expect(diagnostics[0]?.hint).toContain('does not fetch remote schemas');
  });

  it('point at the step whose schema is broken', async () => {
    write(
      'a.yaml',
      manifest(
        'p',
        '  execution_type: single\n  urls: [https://search.example/]\n  execution_plan:\n    steps:\n      - action_type: search\n        input_source: static_urls\n      - action_type: scrape\n        input_source: previous_step\n        output_schema: { type: object, minProperties: -1 }\n',
      ),
    );
    const { diagnostics } = await load();
    expect(diagnostics).toMatchObject([
      {
        code: 'TITAN_OUTPUT_SCHEMA_INVALID',
        line: 14,
        path: '/spec/execution_plan/steps/1/output_schema/minProperties',
      },
    ]);
  });
});

describe('manifests and the schemas they refer to', () => {
  const withRef = (name: string, ref: string): string =>
    manifest(
      name,
      `  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema: { $ref: "${ref}" }\n`,
    );

  it.each([
    ['an empty $ref', ''],
    ['a $ref naming its own file', './a.yaml'],
    ['a $ref into its own spec', './a.yaml#/spec'],
  ])('refuse %s, and still check and count the manifest', async (_, ref) => {
    write('a.yaml', withRef('a', ref));
    const { diagnostics, files } = await load();
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['TITAN_REF_MANIFEST', 'a.yaml', 9]]);
    expect(files).toEqual(['a.yaml']);
  });

  it('never hide a manifest another one refers to: its task stays (a plan would delete it otherwise)', async () => {
    write('a.yaml', manifest('a', classicSpec()));
    write('b.yaml', withRef('b', './a.yaml#/spec/output_schema'));
    const { diagnostics, files, tasks } = await load();
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([['TITAN_REF_MANIFEST', 'b.yaml']]);
    expect(tasks.map((t) => t.key)).toEqual(['a']);
    expect(files).toEqual(['a.yaml', 'b.yaml']);
  });

  it('keep a broken manifest broken when another refers to it, and report its own errors', async () => {
    write('a.yaml', manifest('a', classicSpec('  schedule: "0 * * * *"\n')));
    write('b.yaml', withRef('b', './a.yaml'));
    const { diagnostics } = await load();
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([
      ['TITAN_SCHEDULE_UNEXPECTED', 'a.yaml'],
      ['TITAN_REF_MANIFEST', 'b.yaml'],
    ]);
  });

  it('report a broken shared schema once, with the manifests using it', async () => {
    write('schemas/product.yaml', 'type: object\nproperties: { price: { type: numbr } }\n');
    for (const name of ['a', 'b', 'c', 'd', 'e'])
      write(`${name}.yaml`, withRef(name, './schemas/product.yaml'));
    const { diagnostics, tasks } = await load();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'TITAN_OUTPUT_SCHEMA_INVALID',
      file: 'schemas/product.yaml',
      line: 2,
    });
    expect(diagnostics[0]?.message).toContain('(used by a.yaml, b.yaml, c.yaml and 2 more)');
    expect(tasks).toEqual([]);
  });

  it('skip other YAML files with a warning, and say nothing about schemas', async () => {
    write('a.yaml', withRef('a', './schemas/product.yaml'));
    write('schemas/product.yaml', 'type: object\nproperties: { price: { type: number } }\n');
    write('compose.yaml', 'services: { web: { image: nginx } }\n');
    const { diagnostics, files, tasks } = await load();
    expect(diagnostics.map((d) => [d.code, d.severity, d.file])).toEqual([
      ['TITAN_NOT_A_MANIFEST', 'warning', 'compose.yaml'],
    ]);
    expect(files).toEqual(['a.yaml']);
    expect(tasks).toHaveLength(1);
  });

  it('do not check the schema of a manifest that cannot be read as a manifest', async () => {
    write('a.yaml', `${withRef('a', 'schemas/product.yaml')}  urls: [https://shop.example/\n`);
    write('schemas/product.yaml', 'type: object\n');
    const { diagnostics } = await load();
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([['TITAN_YAML_SYNTAX', 'a.yaml']]);
  });

  it('return the texts they read, for excerpts of exactly what was checked', async () => {
    const text = withRef('a', './schemas/product.json');
    write('a.yaml', text);
    write('schemas/product.json', '{"type": "object", "propertys": {}}');
    const { diagnostics, sources } = await load();
    expect(diagnostics.map((d) => d.file)).toEqual(['schemas/product.json']);
    expect(sources.get('a.yaml')).toBe(text);
    expect(sources.get('schemas/product.json')).toBe('{"type": "object", "propertys": {}}');
  });
});

describe('$ref boundary: the git repository holding the workspace', () => {
  const task = manifest(
    'p',
    '  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema: { $ref: ../schemas/product.json }\n',
  );
  const loadFrom = (cwd: string) =>
    loadManifests(['tasks'], { cwd, env: {}, workspaceRoot: 'tasks', schemas });

  it.each([
    ['a .git folder', () => mkdirSync(path.join(dir, '.git'))],
    ['a .git file (a worktree)', () => write('.git', 'gitdir: /elsewhere\n')],
  ])('accepts a schema beside the workspace folder in a repository with %s', async (_, makeRepository) => {
    makeRepository();
    write('example/schemas/product.json', '{"type": "object"}');
    write('example/tasks/p.yaml', task);
    const { diagnostics, tasks } = await loadFrom(path.join(dir, 'example'));
    expect(diagnostics).toEqual([]);
    expect(tasks[0]?.spec.output_schema).toEqual({ type: 'object' });
  });

  it('refuses it without a repository: the workspace is the boundary then', async () => {
    write('example/schemas/product.json', '{"type": "object"}');
    write('example/tasks/p.yaml', task);
    const { diagnostics } = await loadFrom(path.join(dir, 'example'));
    expect(diagnostics).toMatchObject([
      { code: 'TITAN_REF_OUTSIDE_WORKSPACE', file: 'tasks/p.yaml', line: 9 },
    ]);
    expect(diagnostics[0]?.message).toContain('no git repository encloses it');
  });

  it('refuses files outside the repository, also through a symbolic link', async () => {
    mkdirSync(path.join(dir, 'repo/.git'), { recursive: true });
    write('outside/product.json', '{"type": "object"}');
    symlinkSync(path.join(dir, 'outside/product.json'), path.join(dir, 'repo/linked.json'));
    write(
      'repo/p.yaml',
      manifest(
        'p',
        '  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema:\n    type: object\n    properties:\n      a: { $ref: ../outside/product.json }\n      b: { $ref: ./linked.json }\n',
      ),
    );
    const { diagnostics } = await loadManifests(['.'], {
      cwd: path.join(dir, 'repo'),
      env: {},
      workspaceRoot: '.',
      schemas,
    });
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['TITAN_REF_OUTSIDE_WORKSPACE', 12],
      ['TITAN_REF_OUTSIDE_WORKSPACE', 13],
    ]);
    expect(diagnostics[0]?.message).toContain('outside the git repository');
  });
});

describe('values from the environment never reach a message', () => {
  const SECRET = 'hunter2-SECRET';
  const withSchema = (schema: string): string =>
    manifest(
      's',
      `  execution_type: single\n  urls: [https://shop.example/]\n  objective: x\n  output_schema:\n${schema}`,
    );

  // [case, output schema, value of X, code, what the message says in place of the value]
  it.each([
    [
      'a format',
      '    type: string\n    format: "${env:X}"\n',
      SECRET,
      'TITAN_OUTPUT_SCHEMA_INVALID',
      '(sensitive)',
    ],
    [
      'a $ref to a missing file',
      '    $ref: "./schemas/${env:X}.json"\n',
      SECRET,
      'TITAN_REF_NOT_FOUND',
      '(sensitive)',
    ],
    [
      'a $ref outside',
      '    $ref: "${env:X}"\n',
      `../../${SECRET}/x.json`,
      'TITAN_REF_OUTSIDE_WORKSPACE',
      '(sensitive)',
    ],
    [
      'a $ref with an anchor',
      '    $ref: "./x.json#${env:X}"\n',
      SECRET,
      'TITAN_REF_UNSUPPORTED',
      '(sensitive)',
    ],
    [
      'a $defs pointer',
      '    type: object\n    properties:\n      a: { $ref: "#/$defs/${env:X}" }\n',
      SECRET,
      'TITAN_OUTPUT_SCHEMA_INVALID',
      '(sensitive)',
    ],
    ['a $ref to a broken file', '    $ref: "./${env:X}.json"\n', SECRET, 'TITAN_REF_INVALID', '(sensitive)'],
    // The keyword is no secret, but the file's name is: the problem is placed at the $ref in the manifest.
    [
      'a $ref to a bad schema',
      '    $ref: "./${env:X}-ok.json"\n',
      SECRET,
      'TITAN_OUTPUT_SCHEMA_INVALID',
      'propertys',
    ],
  ])('%s', async (_, schema, value, code, shown) => {
    write(`${SECRET}.json`, '{"type": "object",');
    write(`${SECRET}-ok.json`, '{"type": "object", "propertys": {}}');
    write('a.yaml', withSchema(schema));
    const { diagnostics } = await load(['a.yaml'], { X: value });
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([[code, 'a.yaml']]);
    expect(JSON.stringify(diagnostics)).not.toContain('hunter2');
    expect(diagnostics[0]?.message).toContain(shown);
  });

  it('bundles a $ref from the environment like any other', async () => {
    write('schemas/product.json', '{"type": "object"}');
    write('a.yaml', withSchema('    $ref: "${env:X}"\n'));
    const { diagnostics, tasks } = await load(['a.yaml'], { X: './schemas/product.json' });
    expect(diagnostics).toEqual([]);
    expect(tasks[0]?.spec.output_schema).toEqual({ type: 'object' });
  });
});

describe('keys, as JSON sees them', () => {
  it.each([
    ['1', '"1"'],
    ['true', '"true"'],
    ['~', '""'],
    ['null', '~'],
    ['1.0', '1'],
    ['0x1F', '31'],
  ])('%s and %s are one key', async (first, second) => {
    write(
      'a.yaml',
      manifest(
        'k',
        `  execution_type: single\n  action_type: api_call\n  input_source: task_url_inventory\n  payload:\n    ${first}: a\n    ${second}: b\n`,
      ),
    );
    const { diagnostics } = await load();
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([['TITAN_DUPLICATE_KEY', 11]]);
  });

  it('refuses merge keys, which JSON does not have', async () => {
    write('a.yaml', manifest('m', `  <<: { execution_type: single }\n${classicSpec()}`));
    const { diagnostics } = await load();
    expect(diagnostics).toMatchObject([{ code: 'TITAN_YAML_MERGE_KEY', line: 6, column: 3 }]);
  });

  it('accepts "<<" written as a quoted string key', async () => {
    write(
      'a.yaml',
      manifest(
        'm',
        '  execution_type: single\n  action_type: api_call\n  input_source: task_url_inventory\n  payload: { "<<": x }\n',
      ),
    );
    expect((await load()).diagnostics).toEqual([]);
  });
});

describe('URLs', () => {
  it.each([
    'https:shop.example/a',
    'https:/shop.example/a',
    'https:\\\\shop.example\\a',
    'https://shop.example\\a',
    'ftp://shop.example/',
  ])('refuses %s', async (url) => {
    write('a.yaml', manifest('u', classicSpec().replace('https://shop.example/p/1', JSON.stringify(url))));
    expect((await load()).diagnostics).toMatchObject([{ code: 'TITAN_URL_INVALID', line: 7 }]);
  });

  it.each(['https://shop.example/a', 'HTTPS://shop.example/a', 'http://127.0.0.1:8080/x?q=1'])(
    'accepts %s',
    async (url) => {
      write('a.yaml', manifest('u', classicSpec().replace('https://shop.example/p/1', JSON.stringify(url))));
      expect((await load()).diagnostics).toEqual([]);
    },
  );
});
