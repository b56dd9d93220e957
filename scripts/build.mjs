// Bundles the CLI into dist/titan.js. Heavy modules are loaded with dynamic import() by the commands that
// need them, and esbuild splits them into chunks so `titan --version` parses only the small entry chunk.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { titan: 'src/cli/bin.ts' },
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
