/**
 * The check cache (`.titan/cache/checks/`) may only save time: whatever is edited between runs — manifests,
 * the schemas their `$ref`s name, environment values, titan's build — and whatever happened to the cache
 * folder (torn or foreign entries), a run with the cache gives exactly what a run without it gives.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifests, type LoadedManifests } from '../../../src/io/manifests.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

const schemas = createManifestSchemas();
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const SCHEMA_VARIANTS = [
  'type: object\nproperties:\n  price: { type: number }\n',
  'type: object\nproperties:\n  price: { type: string }\nrequired: [price]\n',
  'type: object\nproperties:\n  price: { type: numbr }\n', // invalid: a diagnostic inside the schema file
  'type: [object\n', // not YAML
  '{ $ref: ./other.yaml }\n', // nested: a reference of a reference
];

const OUTPUT_SCHEMAS = [
  '\n    type: object\n    properties:\n      name: { type: string }',
  ' { $ref: ../schemas/product.yaml }',
  ' { $ref: ../schemas/other.yaml }',
  ' { $ref: ../schemas/missing.yaml }',
  ' { $ref: "${env:SCHEMA_FILE}" }',
];

const EXTRAS = [
  '',
  '  payload: { region: "${env:REGION:-eu}" }',
  '  objectve: typo',
  '  schedule: "61 * * * *"',
];

const manifest = (key: string, schema: number, extra: number): string =>
  [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    `  name: ${key}`,
    'spec:',
    '  urls: [https://shop.example/p/1]',
    `  objective: Extract the product of ${key}`,
    `  output_schema:${OUTPUT_SCHEMAS[schema]}`,
    extra === 3 ? '  execution_type: scheduled' : '  execution_type: single',
    EXTRAS[extra] ?? '',
  ].join('\n');

type Step =
  | { kind: 'manifest'; file: number; key: number; schema: number; extra: number; second: boolean }
  | { kind: 'remove'; file: number }
  | { kind: 'schema'; name: 'product' | 'other'; variant: number }
  | { kind: 'env'; name: 'REGION' | 'SCHEMA_FILE'; value: string | undefined }
  | { kind: 'build'; build: string }
  | { kind: 'link'; to: 'outside' | 'product' | 'file' }
  | { kind: 'damage'; how: 'truncate' | 'flip' | 'foreign' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('manifest' as const),
    file: fc.nat(2),
    key: fc.nat(3),
    schema: fc.nat(OUTPUT_SCHEMAS.length - 1),
    extra: fc.nat(EXTRAS.length - 1),
    second: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('remove' as const), file: fc.nat(2) }),
  fc.record({
    kind: fc.constant('schema' as const),
    name: fc.constantFrom('product' as const, 'other' as const),
    variant: fc.nat(SCHEMA_VARIANTS.length - 1),
  }),
  fc.record({
    kind: fc.constant('env' as const),
    name: fc.constantFrom('REGION' as const, 'SCHEMA_FILE' as const),
    value: fc.constantFrom(undefined, 'us', '../schemas/product.yaml', '../schemas/other.yaml'),
  }),
  fc.record({ kind: fc.constant('build' as const), build: fc.constantFrom('1.0.0+a', '1.0.0+b', '1.1.0+a') }),
  // other.yaml re-linked: to a file outside the boundary (refused unread), to product.yaml, or a plain file again.
  fc.record({
    kind: fc.constant('link' as const),
    to: fc.constantFrom('outside' as const, 'product' as const, 'file' as const),
  }),
  fc.record({
    kind: fc.constant('damage' as const),
    how: fc.constantFrom('truncate' as const, 'flip' as const, 'foreign' as const),
  }),
);

interface World {
  root: string;
  /** A schema file outside the workspace (and outside any repository). */
  outside: string;
  env: NodeJS.ProcessEnv;
  build: string;
}

function apply(world: World, s: Step): void {
  const tasks = path.join(world.root, 'tasks');
  const cacheDir = path.join(world.root, '.titan', 'cache', 'checks');
  switch (s.kind) {
    case 'manifest': {
      const docs = [manifest(`task-${s.key}`, s.schema, s.extra)];
      if (s.second) docs.push(manifest(`task-${(s.key + 1) % 4}`, 0, 0)); // duplicate keys across files
      writeFileSync(path.join(tasks, `f${s.file}.yaml`), docs.join('\n---\n'));
      break;
    }
    case 'remove':
      rmSync(path.join(tasks, `f${s.file}.yaml`), { force: true });
      break;
    case 'schema':
      writeFileSync(path.join(world.root, 'schemas', `${s.name}.yaml`), SCHEMA_VARIANTS[s.variant] ?? '');
      break;
    case 'env':
      if (s.value === undefined) delete world.env[s.name];
      else world.env[s.name] = s.value;
      break;
    case 'build':
      world.build = s.build;
      break;
    case 'link': {
      const other = path.join(world.root, 'schemas', 'other.yaml');
      rmSync(other, { force: true });
      if (s.to === 'file') writeFileSync(other, SCHEMA_VARIANTS[1] ?? '');
      else
        symlinkSync(
          s.to === 'outside' ? world.outside : path.join(world.root, 'schemas', 'product.yaml'),
          other,
        );
      break;
    }
    case 'damage': {
      if (!existsSync(cacheDir)) break;
      const entries = readdirSync(cacheDir).filter((name) => name.endsWith('.check'));
      const victim = entries[0];
      if (victim === undefined) break;
      const file = path.join(cacheDir, victim);
      const bytes = readFileSync(file);
      if (s.how === 'truncate') writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      else if (s.how === 'flip') {
        bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
        writeFileSync(file, bytes);
      } else writeFileSync(file, 'not an entry');
      break;
    }
  }
}

const load = (world: World, cached: boolean): Promise<LoadedManifests> =>
  loadManifests(['tasks'], {
    cwd: world.root,
    env: { ...world.env },
    workspaceRoot: world.root,
    schemas,
    ...(cached
      ? { cache: { dir: path.join(world.root, '.titan', 'cache', 'checks'), build: world.build } }
      : {}),
  });

const comparable = (loaded: LoadedManifests) => ({ ...loaded, sources: [...loaded.sources].sort() });

function newWorld(): World {
  const root = mkdtempSync(path.join(tmpdir(), 'titan-check-cache-'));
  roots.push(root);
  mkdirSync(path.join(root, 'tasks'));
  mkdirSync(path.join(root, 'schemas'));
  writeFileSync(path.join(root, 'schemas', 'product.yaml'), SCHEMA_VARIANTS[0] ?? '');
  writeFileSync(path.join(root, 'schemas', 'other.yaml'), SCHEMA_VARIANTS[1] ?? '');
  writeFileSync(path.join(root, 'tasks', 'f0.yaml'), manifest('task-0', 1, 0));
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'titan-check-cache-outside-'));
  roots.push(elsewhere);
  const outside = path.join(elsewhere, 'outside.yaml');
  writeFileSync(outside, SCHEMA_VARIANTS[0] ?? '');
  return { root, outside, env: {}, build: '1.0.0+a' };
}

describe('the check cache', () => {
  it('never changes what a load finds, whatever is edited between runs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const world = newWorld();
        await load(world, true); // a cache to start from
        for (const s of steps) {
          apply(world, s);
          const warm = await load(world, true);
          const cold = await load(world, false);
          expect(comparable(warm)).toEqual(comparable(cold));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reuses the entries of unchanged files and writes none for files using ${env:…}', async () => {
    const world = newWorld();
    writeFileSync(path.join(world.root, 'tasks', 'f1.yaml'), manifest('task-1', 0, 1));
    world.env.REGION = 'secret-region-value';
    await load(world, true);
    const cacheDir = path.join(world.root, '.titan', 'cache', 'checks');
    const entries = readdirSync(cacheDir);
    expect(entries).toHaveLength(1); // f0 only: f1 interpolates the environment
    for (const name of entries)
      expect(readFileSync(path.join(cacheDir, name)).includes('secret-region-value')).toBe(false);
    const before = readFileSync(path.join(cacheDir, entries[0] as string));
    await load(world, true);
    expect(readFileSync(path.join(cacheDir, entries[0] as string))).toEqual(before);
    expect(readdirSync(cacheDir)).toEqual(entries);
    world.build = '1.0.1+b'; // another build never reads these entries: it writes its own
    await load(world, true);
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it('stays within its bound, oldest entries first', async () => {
    const world = newWorld();
    const cacheDir = path.join(world.root, '.titan', 'cache', 'checks');
    const options = (max: number) => ({
      cwd: world.root,
      env: {},
      workspaceRoot: world.root,
      schemas,
      cache: { dir: cacheDir, build: world.build, maxEntries: max },
    });
    for (let f = 0; f < 5; f++)
      writeFileSync(path.join(world.root, 'tasks', `f${f}.yaml`), manifest(`task-${f}`, 0, 0));
    await loadManifests(['tasks'], options(3));
    expect(readdirSync(cacheDir).filter((name) => name.endsWith('.check'))).toHaveLength(3);
  });
});

describe('titan validate with the check cache', () => {
  const CLI = path.resolve(__dirname, '../../../dist/titan.js');
  const run = (root: string, args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('prints the same, byte for byte, and exits the same with and without it', () => {
    const world = newWorld();
    writeFileSync(path.join(world.root, 'tasks', 'f1.yaml'), manifest('task-1', 2, 2));
    writeFileSync(path.join(world.root, 'tasks', 'f2.yaml'), manifest('task-0', 3, 3));
    run(world.root, ['validate', '--no-cache']);
    expect(existsSync(path.join(world.root, '.titan', 'cache'))).toBe(false);
    for (const args of [['validate'], ['validate', '--format', 'json'], ['validate', '--format', 'github']]) {
      const cold = run(world.root, [...args, '--no-cache']);
      const first = run(world.root, args);
      const warm = run(world.root, args);
      expect(cold.status).toBe(3);
      expect(first).toEqual(cold);
      expect(warm).toEqual(cold);
    }
  });
});
