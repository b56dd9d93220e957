/**
 * The bundle holds titan's schema validators precompiled at build time (scripts/build.mjs); the sources compile
 * them at run time. Both must say the same of every document: here both run over the manifest fixtures, and over
 * a real lockfile and saved plan with the mistakes a hand edit makes.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderPlanJson } from '../../src/render/plan-json.js';
import * as atRunTime from '../../src/io/validators.js';
import { scenarioLock, scenarioPlan } from './plan/scenario.js';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'manifests');

const manifests = ['valid', 'invalid'].flatMap((kind) =>
  readdirSync(path.join(FIXTURES, kind))
    .filter((file) => /\.ya?ml$/.test(file))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(FIXTURES, kind, file), 'utf8'), { uniqueKeys: false })
        .map((doc) => {
          try {
            return doc.toJS({ maxAliasCount: 100 }) as unknown;
          } catch {
            return undefined; // alias bombs and the like never reach the validator
          }
        })
        .filter((value) => value !== undefined && value !== null),
    ),
);

/** `document` and copies with a missing key, an unknown key and a value of the wrong type at its top. */
function withMistakes(document: Record<string, unknown>): unknown[] {
  const [first, second] = Object.keys(document);
  const { [first as string]: _, ...missing } = document;
  return [document, missing, { ...document, extra: true }, { ...document, [second as string]: 42 }];
}

const lockfiles = withMistakes(JSON.parse(JSON.stringify(scenarioLock)) as Record<string, unknown>);
const plans = withMistakes(JSON.parse(renderPlanJson(scenarioPlan())) as Record<string, unknown>);

type Validators = Pick<
  typeof atRunTime,
  'createManifestValidator' | 'createLockfileValidator' | 'createPlanValidator'
>;

async function precompiled(): Promise<Validators> {
  // Where the bundler would put it, with the `require` the bundle's banner defines; inside node_modules so that
  // the generated code's imports of ajv's runtime resolve.
  const dir = path.join(ROOT, 'node_modules', '.cache', 'titan-test');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'validators.mjs');
  const banner =
    "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n";
  writeFileSync(file, banner + atRunTime.validatorsModule());
  return (await import(pathToFileURL(file).href)) as Validators;
}

describe('the precompiled validators', () => {
  it.each([
    ['manifest', 'createManifestValidator', manifests, 20],
    ['lockfile', 'createLockfileValidator', lockfiles, 3],
    ['plan', 'createPlanValidator', plans, 3],
  ] as const)(
    'find exactly what the compiled-at-run-time %s validator finds',
    async (_, name, documents, bad) => {
      const compiled = atRunTime[name]();
      const built = (await precompiled())[name]();
      let invalid = 0;
      for (const document of documents) {
        const valid = compiled(document);
        expect(built(document)).toBe(valid);
        expect(built.errors ?? null).toEqual(compiled.errors ?? null);
        if (!valid) invalid++;
      }
      // Every kind has documents both validators accept and documents they refuse.
      expect(invalid).toBeGreaterThanOrEqual(bad);
      expect(invalid).toBeLessThan(documents.length);
    },
  );
});
