/**
 * Diagnostics are listed in code-point order of their files (and codes), like the list of files: the same
 * output on every machine, whatever its locale.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sortDiagnostics, type Diagnostic } from '../../../src/core/diagnostics.js';
import { checkManifestTexts, type ManifestText } from '../../../src/core/manifest/load.js';
import type { RefContext } from '../../../src/core/manifest/refs.js';
import { DEFAULT_LIMITS } from '../../../src/core/manifest/yaml.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

const at = (file: string, code = 'TITAN_SCHEMA_TYPE'): Diagnostic => ({
  code,
  severity: 'error',
  message: 'wrong',
  file,
  line: 1,
  column: 1,
});

describe('diagnostic order', () => {
  it('sorts files by code point: upper case before lower case before accented letters', () => {
    const sorted = sortDiagnostics([at('å.yaml'), at('a.yaml'), at('B.yaml')]);
    expect(sorted.map((d) => d.file)).toEqual(['B.yaml', 'a.yaml', 'å.yaml']);
  });

  it('sorts codes at one place by code point', () => {
    const sorted = sortDiagnostics([at('a.yaml', 'TITAN_REF_X'), at('a.yaml', 'TITAN_REFX')]);
    expect(sorted.map((d) => d.code)).toEqual(['TITAN_REFX', 'TITAN_REF_X']);
  });

  it('lists the diagnostics of loaded manifests in the order of their files', () => {
    const root = path.resolve('/workspace');
    const refs: RefContext = {
      boundary: { root, kind: 'workspace' },
      read: () => ({ ok: false, reason: 'not-found' }),
      displayFile: (file) => path.relative(root, file),
      limits: DEFAULT_LIMITS,
      cache: new Map(),
    };
    const broken = (display: string, name: string): ManifestText => ({
      absPath: path.join(root, display),
      display,
      text: `apiVersion: titan/v1\nkind: Task\nmetadata:\n  name: ${name}\nspec:\n  execution_type: single\n`,
    });
    const checked = checkManifestTexts(
      [broken('å.yaml', 'three'), broken('a.yaml', 'two'), broken('B.yaml', 'one')],
      { env: {}, schemas: createManifestSchemas(), refs },
    );
    expect(checked.files).toEqual(['B.yaml', 'a.yaml', 'å.yaml']);
    expect(checked.diagnostics.length).toBeGreaterThanOrEqual(3);
    const files = checked.diagnostics.map((d) => d.file);
    expect(files.filter((file, i) => file !== files[i - 1])).toEqual(['B.yaml', 'a.yaml', 'å.yaml']);
  });
});
