/**
 * Property: whatever a mutation does to a valid manifest, the loader answers with diagnostics or tasks — never an
 * exception, never an internal error — and the diagnostics render in every format.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { checkManifestTexts, type ManifestText } from '../../../src/core/manifest/load.js';
import type { RefContext } from '../../../src/core/manifest/refs.js';
import { DEFAULT_LIMITS } from '../../../src/core/manifest/yaml.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';
import {
  renderDiagnostics,
  renderDiagnosticsGithub,
  renderDiagnosticsJson,
} from '../../../src/render/diagnostics.js';

const validDir = path.resolve(__dirname, '../../fixtures/manifests/valid');
const SEEDS = [
  'classic-single.yaml',
  'scheduled.yaml',
  'modular.yaml',
  'multi-step.yaml',
  'ref-schema.yaml',
  'env-interpolation.yaml',
].map((file) => readFileSync(path.join(validDir, file), 'utf8'));
const REF_FILES = new Map(
  ['schemas/product.json', 'schemas/review.yaml'].map((file) => [
    path.join(validDir, file),
    readFileSync(path.join(validDir, file), 'utf8'),
  ]),
);
const schemas = createManifestSchemas();
const env = { TITAN_TEST_PARTNER_TOKEN: 'tok' };

function check(text: string) {
  const refs: RefContext = {
    boundary: { root: validDir, kind: 'workspace' },
    read: (file) => {
      const found = REF_FILES.get(file);
      return found === undefined ? { ok: false, reason: 'not-found' } : { ok: true, text: found };
    },
    displayFile: (file) => path.relative(validDir, file),
    limits: DEFAULT_LIMITS,
    cache: new Map(),
  };
  const file: ManifestText = { absPath: path.join(validDir, 'fuzz.yaml'), display: 'fuzz.yaml', text };
  return checkManifestTexts([file], { env, schemas, refs });
}

const TOKENS = [
  ':',
  ': ',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '*b',
  '!!binary ',
  '!foo ',
  '"',
  "'",
  '${env:',
  '${env:X}',
  '$${',
  '\t',
  '\n',
  '---\n',
  '...\n',
  '# ',
  '|\n',
  '>-\n',
  '%YAML 1.1\n',
  '? ',
  '<<: ',
  '\u0000',
  '\uFEFF',
  'ü',
  '\\',
  '0x1F',
  '.inf',
  '~',
  'null',
  '-1e309',
  '"\\u0000"',
  '$ref: ',
  '#/',
];

const textMutation = (seed: string): fc.Arbitrary<string> => {
  const lines = seed.split('\n');
  return fc.oneof(
    fc
      .tuple(fc.nat(seed.length), fc.constantFrom(...TOKENS))
      .map(([at, token]) => seed.slice(0, at) + token + seed.slice(at)),
    fc
      .tuple(fc.nat(seed.length), fc.string({ maxLength: 12 }))
      .map(([at, s]) => seed.slice(0, at) + s + seed.slice(at)),
    fc.tuple(fc.nat(seed.length), fc.nat(40)).map(([at, n]) => seed.slice(0, at) + seed.slice(at + n)),
    fc.nat(lines.length - 1).map((i) => lines.filter((_, j) => j !== i).join('\n')),
    fc.tuple(fc.nat(lines.length - 1), fc.nat(lines.length - 1)).map(([i, j]) => {
      const copy = [...lines];
      [copy[i], copy[j]] = [copy[j] as string, copy[i] as string];
      return copy.join('\n');
    }),
    fc
      .tuple(fc.nat(lines.length - 1), fc.integer({ min: -4, max: 4 }))
      .map(([i, shift]) =>
        lines
          .map((line, j) => (j !== i ? line : shift > 0 ? ' '.repeat(shift) + line : line.slice(-shift)))
          .join('\n'),
      ),
  );
};

/** Structural mutations: a random value at a random path of a parsed document, then back to YAML. */
const structuralMutation = (seed: string): fc.Arbitrary<string> => {
  const documents = seed.split(/^---$/m).map((doc) => parse(doc) as unknown);
  const paths = documents.flatMap((doc, index) => pathsOf(doc).map((p) => [index, p] as const));
  return fc
    .tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined)))
    .map(([[index, at], value]) => {
      const copy = structuredClone(documents);
      setAt(copy[index], at, value);
      return copy.map((doc) => stringify(doc)).join('---\n');
    });
};

function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => pathsOf(item, [...at, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...at, key]))];
  }
  return here;
}

function setAt(root: unknown, at: readonly (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const segment of at.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  const last = at[at.length - 1] as string | number;
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value;
}

function assertWellFormed(text: string): void {
  const result = check(text);
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^TITAN_[A-Z0-9_]+$/);
    expect(d.code).not.toBe('TITAN_INTERNAL');
    expect(['error', 'warning']).toContain(d.severity);
    expect(d.file).toBeDefined();
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
    expect(d.message).not.toBe('');
  }
  if (!result.diagnostics.some((d) => d.severity === 'error')) {
    for (const task of result.tasks) expect(task.spec.name).not.toBe('');
  }
  const sources = new Map([['fuzz.yaml', text]]);
  renderDiagnostics(result.diagnostics, { color: true, sources });
  renderDiagnosticsJson(result.diagnostics);
  renderDiagnosticsGithub(result.diagnostics);
}

describe('the loader under random mutations of valid manifests', () => {
  it('accepts every seed as it is', () => {
    for (const seed of SEEDS) expect(check(seed).diagnostics).toEqual([]);
  });

  it('never throws on text mutations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SEEDS).chain((seed) => textMutation(seed)),
        async (text) => assertWellFormed(text),
      ),
      { numRuns: 400, timeout: 5_000 },
    );
  });

  it('never throws on stacked text mutations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SEEDS).chain((seed) => textMutation(seed).chain(textMutation).chain(textMutation)),
        async (text) => assertWellFormed(text),
      ),
      { numRuns: 200, timeout: 5_000 },
    );
  });

  it('never throws on structural mutations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEEDS).chain(structuralMutation), async (text) =>
        assertWellFormed(text),
      ),
      { numRuns: 300, timeout: 5_000 },
    );
  });
});
