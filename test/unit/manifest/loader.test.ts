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
    const { tasks } = await load();
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

  it('report strict-mode type findings as warnings at the keyword', async () => {
    write(
      'a.yaml',
      withSchema('    type: object\n    properties:\n      tags:\n        items: { type: string }\n'),
    );
    const { diagnostics, tasks } = await load();
    expect(diagnostics).toMatchObject([
      { code: 'TITAN_OUTPUT_SCHEMA_STRICT', severity: 'warning', line: 13 },
    ]);
    expect(tasks).toHaveLength(1);
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
