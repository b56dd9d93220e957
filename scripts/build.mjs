// Bundles the CLI into dist/titan.js. Heavy modules are loaded with dynamic import() by the commands that
// need them, and esbuild splits them into chunks so `titan --version` parses only the small entry chunk.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

// Chunk names carry hashes: without a clean folder, every build would leave the previous chunks behind.
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
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
  logLevel: 'warning',
  legalComments: 'none',
});
