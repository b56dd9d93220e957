// Bundles the CLI into dist/titan.js (and dist/manifest-worker.js, which checks large workspaces on other threads).
// Heavy modules are loaded with dynamic import() by the commands that need them, and esbuild splits them into
// chunks so `titan --version` parses only the small entry chunk. titan's own JSON Schemas are compiled here, once,
// into the bundle (src/io/validators.ts).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const VALIDATORS_SOURCE = path.join(ROOT, 'src', 'io', 'validators.ts');
const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));

/** The precompiled validators, made by the module they replace (so both use the same schemas and options). */
async function precompiledValidators() {
  const built = await build({
    entryPoints: [VALIDATORS_SOURCE],
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    write: false,
    logLevel: 'warning',
  });
  // Inside node_modules, so that the module's imports of ajv resolve.
  const scratch = path.join(ROOT, 'node_modules', '.cache', 'titan-build');
  await mkdir(scratch, { recursive: true });
  const file = path.join(scratch, 'validators.mjs');
  await writeFile(file, built.outputFiles[0].text);
  const { validatorsModule } = await import(pathToFileURL(file).href);
  return validatorsModule();
}

const validators = await precompiledValidators();

// Chunk names carry hashes: without a clean folder, every build would leave the previous chunks behind.
await rm(path.join(ROOT, 'dist'), { recursive: true, force: true });
await build({
  entryPoints: { titan: 'src/cli/bin.ts', 'manifest-worker': 'src/io/manifest-worker.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'bundle',
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __titanCreateRequire } from 'node:module'; const require = __titanCreateRequire(import.meta.url);",
  },
  define: { TITAN_VERSION: JSON.stringify(pkg.version) },
  plugins: [
    {
      name: 'precompiled-validators',
      setup(builder) {
        builder.onLoad({ filter: /[\\/]src[\\/]io[\\/]validators\.ts$/ }, () => ({
          contents: validators,
          loader: 'js',
          resolveDir: ROOT,
        }));
      },
    },
  ],
  logLevel: 'warning',
  legalComments: 'none',
});
