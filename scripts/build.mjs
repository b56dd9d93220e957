// Bundles the CLI into dist/titan.js (and dist/manifest-worker.js, which checks large workspaces on other threads).
// Heavy modules are loaded with dynamic import() by the commands that need them, and esbuild splits them into
// chunks so `titan --version` parses only the small entry chunk. titan's own JSON Schemas are compiled here, once,
// into the bundle (src/io/validators.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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

/**
 * Names this build for the manifest check cache: a hash of everything that decides a check (the sources, the
 * schemas, the locked dependencies), so a cache written by one build is never read by another, even at the
 * same version number.
 */
async function buildId() {
  const hash = createHash('sha256').update(pkg.version);
  const files = [path.join(ROOT, 'package-lock.json')];
  for (const folder of ['src', 'schemas']) {
    for (const entry of await readdir(path.join(ROOT, folder), { recursive: true, withFileTypes: true }))
      if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name));
  }
  for (const file of files.sort())
    hash
      .update(path.relative(ROOT, file))
      .update('\0')
      .update(await readFile(file));
  return `${pkg.version}+${hash.digest('hex').slice(0, 16)}`;
}

/**
 * The yaml package's Node build reads two debug switches from the environment on every token it lexes
 * (`process.env` is a slow, non-inlinable lookup); its browser build has them stripped. They are pinned off in
 * the bundle: parsing is a fifth faster, with the same results. The build fails if a new version moves them.
 */
const YAML_DEBUG_SWITCHES = [
  { file: /[\\/]yaml[\\/]dist[\\/]parse[\\/]parser\.js$/, read: 'node_process.env.LOG_TOKENS' },
  { file: /[\\/]yaml[\\/]dist[\\/]compose[\\/]composer\.js$/, read: 'node_process.env.LOG_STREAM' },
];

const yamlDebugSwitchesOff = {
  name: 'yaml-debug-switches-off',
  setup(builder) {
    for (const { file, read } of YAML_DEBUG_SWITCHES) {
      builder.onLoad({ filter: file }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(read))
          throw new Error(`${args.path} no longer reads ${read}: update scripts/build.mjs`);
        return { contents: source.replaceAll(read, 'false'), loader: 'js' };
      });
    }
  },
};

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
  define: { TITAN_VERSION: JSON.stringify(pkg.version), TITAN_BUILD: JSON.stringify(await buildId()) },
  plugins: [
    yamlDebugSwitchesOff,
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
