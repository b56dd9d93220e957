/**
 * The bundle holds the manifest validator precompiled at build time (scripts/build.mjs); the sources compile it at
 * run time. Both must say the same of every manifest: here both run over the valid and invalid fixtures.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createManifestValidator, manifestValidatorModule } from '../../../src/io/manifest-validator.js';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'manifests');

const documents = ['valid', 'invalid'].flatMap((kind) =>
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

async function precompiled(): Promise<ReturnType<typeof createManifestValidator>> {
  // Where the bundler would put it, with the `require` the bundle's banner defines; inside node_modules so that
  // the generated code's imports of ajv's runtime resolve.
  const dir = path.join(ROOT, 'node_modules', '.cache', 'titan-test');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'validator.mjs');
  const banner =
    "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n";
  writeFileSync(file, banner + manifestValidatorModule());
  const module = (await import(pathToFileURL(file).href)) as {
    createManifestValidator: typeof createManifestValidator;
  };
  return module.createManifestValidator();
}

describe('the precompiled manifest validator', () => {
  it('finds exactly what the compiled-at-run-time one finds, fixture by fixture', async () => {
    const atRunTime = createManifestValidator();
    const atBuildTime = await precompiled();
    expect(documents.length).toBeGreaterThan(80);
    let invalid = 0;
    for (const document of documents) {
      const valid = atRunTime(document);
      expect(atBuildTime(document)).toBe(valid);
      expect(atBuildTime.errors ?? null).toEqual(atRunTime.errors ?? null);
      if (!valid) invalid++;
    }
    expect(invalid).toBeGreaterThan(20);
  });
});
