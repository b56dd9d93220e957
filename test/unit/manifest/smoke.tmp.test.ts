import { it } from 'vitest';
import path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { loadManifests } from '../../../src/io/manifests.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

it('smoke', async () => {
  const root = path.resolve('test/fixtures/manifests/invalid');
  const schemas = createManifestSchemas();
  for (const name of readdirSync(root).sort()) {
    if (name === 'shared') continue;
    const p = path.join(root, name);
    const dir = statSync(p).isDirectory();
    const r = await loadManifests([p], { cwd: root, env: { USER: 'me' }, workspaceRoot: dir ? p : root, schemas });
    console.log(`${name}\n` + r.diagnostics.map(d => `   ${d.severity} ${d.code} ${d.file}:${d.line}:${d.column} ${d.message}${d.hint ? ' || ' + d.hint : ''}`).join('\n'));
  }
});
