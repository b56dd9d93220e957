/**
 * The manifest corpus: every invalid fixture holds one defect and must be reported with its code at its exact
 * line — the line holding the defect — and nothing else, warnings included; every valid fixture loads with zero
 * diagnostics.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../../src/io/manifests.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

const fixtures = path.resolve(__dirname, '../../fixtures/manifests');
const invalidRoot = path.join(fixtures, 'invalid');
const schemas = createManifestSchemas();

/** [case (file or folder under invalid/), code, file (relative to invalid/), line], one row per expected error. */
type Expected = [code: string, file: string, line: number];
const CASES: [string, ...Expected[]][] = [
  // The opening bracket of the list never closed, not the next line where the parser notices.
  ['yaml-syntax.yaml', ['TITAN_YAML_SYNTAX', 'yaml-syntax.yaml', 8]],
  ['yaml-tab-indent.yaml', ['TITAN_YAML_SYNTAX', 'yaml-tab-indent.yaml', 5]],
  // The over-indented line, not the line above it.
  ['yaml-bad-indent.yaml', ['TITAN_YAML_SYNTAX', 'yaml-bad-indent.yaml', 8]],
  ['yaml-unclosed-quote.yaml', ['TITAN_YAML_SYNTAX', 'yaml-unclosed-quote.yaml', 12]],
  ['cron-unquoted.yaml', ['TITAN_YAML_SYNTAX', 'cron-unquoted.yaml', 14]],
  // Its schema file is not read as a manifest (no cascade of "missing apiVersion").
  ['yaml-syntax-with-schema', ['TITAN_YAML_SYNTAX', 'yaml-syntax-with-schema/task.yaml', 8]],
  ['duplicate-key.yaml', ['TITAN_DUPLICATE_KEY', 'duplicate-key.yaml', 14]],
  ['duplicate-key-json.yaml', ['TITAN_DUPLICATE_KEY', 'duplicate-key-json.yaml', 12]],
  ['duplicate-key-null.yaml', ['TITAN_DUPLICATE_KEY', 'duplicate-key-null.yaml', 12]],
  ['yaml-merge-key.yaml', ['TITAN_YAML_MERGE_KEY', 'yaml-merge-key.yaml', 13]],
  ['not-a-manifest.yaml', ['TITAN_NOT_A_MANIFEST', 'not-a-manifest.yaml', 1]],
  ['alias-bomb.yaml', ['TITAN_YAML_ALIAS_LIMIT', 'alias-bomb.yaml', 10]],
  ['alias-cycle.yaml', ['TITAN_YAML_ALIAS', 'alias-cycle.yaml', 11]],
  ['alias-unknown.yaml', ['TITAN_YAML_ALIAS', 'alias-unknown.yaml', 10]],
  ['yaml-unknown-tag.yaml', ['TITAN_YAML_TAG', 'yaml-unknown-tag.yaml', 11]],
  ['yaml-infinity.yaml', ['TITAN_YAML_VALUE', 'yaml-infinity.yaml', 11]],
  ['yaml-too-deep.yaml', ['TITAN_YAML_TOO_DEEP', 'yaml-too-deep.yaml', 73]],
  ['type-urls-string.yaml', ['TITAN_SCHEMA_TYPE', 'type-urls-string.yaml', 8]],
  ['type-script-version-number.yaml', ['TITAN_SCHEMA_TYPE', 'type-script-version-number.yaml', 15]],
  ['type-label-value.yaml', ['TITAN_SCHEMA_TYPE', 'type-label-value.yaml', 7]],
  ['type-protect-string.yaml', ['TITAN_SCHEMA_TYPE', 'type-protect-string.yaml', 6]],
  ['type-spec-null.yaml', ['TITAN_SCHEMA_TYPE', 'type-spec-null.yaml', 6]],
  ['type-document-list.yaml', ['TITAN_SCHEMA_TYPE', 'type-document-list.yaml', 2]],
  ['output-schema-not-object.yaml', ['TITAN_SCHEMA_TYPE', 'output-schema-not-object.yaml', 10]],
  ['required-spec.yaml', ['TITAN_SCHEMA_REQUIRED', 'required-spec.yaml', 2]],
  ['required-metadata-name.yaml', ['TITAN_SCHEMA_REQUIRED', 'required-metadata-name.yaml', 4]],
  ['required-execution-type.yaml', ['TITAN_SCHEMA_REQUIRED', 'required-execution-type.yaml', 6]],
  ['required-objective-classic.yaml', ['TITAN_SCHEMA_REQUIRED', 'required-objective-classic.yaml', 6]],
  [
    'layout-modular-no-input-source.yaml',
    ['TITAN_SCHEMA_REQUIRED', 'layout-modular-no-input-source.yaml', 6],
  ],
  [
    'layout-scrape-no-output-schema.yaml',
    ['TITAN_SCHEMA_REQUIRED', 'layout-scrape-no-output-schema.yaml', 6],
  ],
  ['unknown-field-typo.yaml', ['TITAN_SCHEMA_UNKNOWN_FIELD', 'unknown-field-typo.yaml', 14]],
  ['unknown-field-required-typo.yaml', ['TITAN_SCHEMA_UNKNOWN_FIELD', 'unknown-field-required-typo.yaml', 9]],
  ['unknown-field-root.yaml', ['TITAN_SCHEMA_UNKNOWN_FIELD', 'unknown-field-root.yaml', 4]],
  ['unknown-field-misplaced.yaml', ['TITAN_SCHEMA_UNKNOWN_FIELD', 'unknown-field-misplaced.yaml', 14]],
  ['step-unknown-field.yaml', ['TITAN_SCHEMA_UNKNOWN_FIELD', 'step-unknown-field.yaml', 13]],
  ['enum-execution-type.yaml', ['TITAN_SCHEMA_ENUM', 'enum-execution-type.yaml', 7]],
  ['enum-action-type.yaml', ['TITAN_SCHEMA_ENUM', 'enum-action-type.yaml', 8]],
  ['enum-api-version.yaml', ['TITAN_SCHEMA_ENUM', 'enum-api-version.yaml', 2]],
  ['enum-kind.yaml', ['TITAN_SCHEMA_ENUM', 'enum-kind.yaml', 3]],
  ['enum-proxy-location.yaml', ['TITAN_SCHEMA_ENUM', 'enum-proxy-location.yaml', 16]],
  ['pattern-key.yaml', ['TITAN_SCHEMA_PATTERN', 'pattern-key.yaml', 5]],
  ['pattern-label-key.yaml', ['TITAN_SCHEMA_PATTERN', 'pattern-label-key.yaml', 7]],
  ['empty-urls.yaml', ['TITAN_SCHEMA_EMPTY', 'empty-urls.yaml', 8]],
  ['step-empty.yaml', ['TITAN_SCHEMA_EMPTY', 'step-empty.yaml', 9]],
  ['duplicate-proxy-location.yaml', ['TITAN_SCHEMA_DUPLICATE_ITEM', 'duplicate-proxy-location.yaml', 14]],
  ['cron-minute.yaml', ['TITAN_CRON_INVALID', 'cron-minute.yaml', 14]],
  ['cron-hour.yaml', ['TITAN_CRON_INVALID', 'cron-hour.yaml', 14]],
  ['cron-day-of-week.yaml', ['TITAN_CRON_INVALID', 'cron-day-of-week.yaml', 14]],
  ['cron-six-fields.yaml', ['TITAN_CRON_INVALID', 'cron-six-fields.yaml', 14]],
  ['cron-macro.yaml', ['TITAN_CRON_INVALID', 'cron-macro.yaml', 14]],
  ['cron-never.yaml', ['TITAN_CRON_INVALID', 'cron-never.yaml', 14]],
  ['cron-month-name.yaml', ['TITAN_CRON_INVALID', 'cron-month-name.yaml', 14]],
  ['schedule-on-single.yaml', ['TITAN_SCHEDULE_UNEXPECTED', 'schedule-on-single.yaml', 14]],
  ['schedule-missing.yaml', ['TITAN_SCHEDULE_MISSING', 'schedule-missing.yaml', 7]],
  [
    'output-schema-unknown-keyword.yaml',
    ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-unknown-keyword.yaml', 12],
  ],
  ['output-schema-bad-type.yaml', ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-bad-type.yaml', 13]],
  ['output-schema-bad-regex.yaml', ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-bad-regex.yaml', 15]],
  ['output-schema-missing-ref.yaml', ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-missing-ref.yaml', 13]],
  [
    'output-schema-unknown-format.yaml',
    ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-unknown-format.yaml', 13],
  ],
  ['output-schema-self-ref.yaml', ['TITAN_OUTPUT_SCHEMA_INVALID', 'output-schema-self-ref.yaml', 13]],
  // The `required` item, not the schema.
  [
    'output-schema-strict-required.yaml',
    ['TITAN_OUTPUT_SCHEMA_STRICT', 'output-schema-strict-required.yaml', 16],
  ],
  ['output-schema-strict-types.yaml', ['TITAN_OUTPUT_SCHEMA_STRICT', 'output-schema-strict-types.yaml', 14]],
  ['ref-file-bad-keyword', ['TITAN_OUTPUT_SCHEMA_INVALID', 'ref-file-bad-keyword/schemas/product.json', 5]],
  ['url-no-scheme.yaml', ['TITAN_URL_INVALID', 'url-no-scheme.yaml', 10]],
  ['url-ftp.yaml', ['TITAN_URL_INVALID', 'url-ftp.yaml', 8]],
  ['url-scheme-no-slashes.yaml', ['TITAN_URL_INVALID', 'url-scheme-no-slashes.yaml', 10]],
  ['url-duplicate.yaml', ['TITAN_URL_DUPLICATE', 'url-duplicate.yaml', 11]],
  ['template-both.yaml', ['TITAN_TEMPLATE_CONFLICT', 'template-both.yaml', 15]],
  ['layout-plan-and-action.yaml', ['TITAN_TASK_LAYOUT_CONFLICT', 'layout-plan-and-action.yaml', 9]],
  ['step-first-previous.yaml', ['TITAN_INPUT_SOURCE_INVALID', 'step-first-previous.yaml', 11]],
  ['modular-previous-step.yaml', ['TITAN_INPUT_SOURCE_INVALID', 'modular-previous-step.yaml', 9]],
  ['env-missing.yaml', ['TITAN_ENV_MISSING', 'env-missing.yaml', 11]],
  ['env-syntax.yaml', ['TITAN_ENV_SYNTAX', 'env-syntax.yaml', 11]],
  ['env-in-metadata.yaml', ['TITAN_ENV_NOT_ALLOWED', 'env-in-metadata.yaml', 7]],
  [
    'key-duplicate-in-file.yaml',
    ['TITAN_TASK_KEY_DUPLICATE', 'key-duplicate-in-file.yaml', 5],
    ['TITAN_TASK_KEY_DUPLICATE', 'key-duplicate-in-file.yaml', 14],
  ],
  [
    'key-duplicate-across-files',
    ['TITAN_TASK_KEY_DUPLICATE', 'key-duplicate-across-files/a.yaml', 5],
    ['TITAN_TASK_KEY_DUPLICATE', 'key-duplicate-across-files/b.yaml', 5],
  ],
  ['previous-name-conflict.yaml', ['TITAN_PREVIOUS_NAME_CONFLICT', 'previous-name-conflict.yaml', 16]],
  ['ref-not-found', ['TITAN_REF_NOT_FOUND', 'ref-not-found/task.yaml', 13]],
  ['ref-outside-workspace', ['TITAN_REF_OUTSIDE_WORKSPACE', 'ref-outside-workspace/task.yaml', 13]],
  ['ref-cycle', ['TITAN_REF_CYCLE', 'ref-cycle/schemas/b.json', 4]],
  ['ref-bad-pointer', ['TITAN_REF_POINTER', 'ref-bad-pointer/task.yaml', 13]],
  // A broken schema file is reported where it is broken: at the opening brace never closed.
  ['ref-invalid-file', ['TITAN_YAML_SYNTAX', 'ref-invalid-file/schemas/broken.json', 1]],
  // Once, however many manifests use it.
  ['ref-shared-broken', ['TITAN_YAML_SYNTAX', 'ref-shared-broken/schemas/product.yaml', 3]],
  ['ref-anchor', ['TITAN_REF_UNSUPPORTED', 'ref-anchor/task.yaml', 13]],
  ['ref-self.yaml', ['TITAN_REF_MANIFEST', 'ref-self.yaml', 10]],
  ['ref-manifest', ['TITAN_REF_MANIFEST', 'ref-manifest/b.yaml', 10]],
];

/** A folder case is its own workspace; a file case lives in the invalid/ workspace. */
async function loadCase(name: string) {
  const target = path.join(invalidRoot, name);
  const workspaceRoot = statSync(target).isDirectory() ? target : invalidRoot;
  return loadManifests([target], { cwd: invalidRoot, env: { USER: 'someone' }, workspaceRoot, schemas });
}

describe('invalid manifests: one defect, one diagnostic, at the right line', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', async (name, ...expected) => {
    const { diagnostics } = await loadCase(name);
    // Every diagnostic, warnings included: a defect must not drag others along.
    expect(diagnostics.map((d) => [d.code, d.file, d.line])).toEqual(expected);
    for (const diagnostic of diagnostics) {
      expect(diagnostic.column).toBeGreaterThanOrEqual(1);
      expect(diagnostic.message).not.toMatch(/must NOT|must match "|instancePath|schemaPath|call stack/);
    }
  });

  it.each([
    ['cron-unquoted.yaml', 'read as a YAML alias; quote the cron expression'],
    ['yaml-syntax.yaml', 'this [ list is never closed with ]'],
    ['yaml-bad-indent.yaml', 'indented more than the line above'],
    ['duplicate-key-json.yaml', 'key "1" repeats key 1 of line 11: both are the property "1" in JSON'],
    ['yaml-merge-key.yaml', 'merge keys (<<) are not supported; write the fields out'],
    ['cron-month-name.yaml', 'the month field "JANX" is invalid'],
    ['output-schema-self-ref.yaml', 'spec.output_schema.properties.a.$ref refers to itself'],
    ['output-schema-strict-required.yaml', 'required property "currency" is not defined'],
    ['ref-shared-broken', '(used by ref-shared-broken/a.yaml, ref-shared-broken/b.yaml)'],
    ['ref-manifest', 'the file is a titan manifest'],
    ['ref-self.yaml', 'points at this manifest file itself'],
  ])('%s says what is wrong in its own terms', async (name, wording) => {
    const { diagnostics } = await loadCase(name);
    expect(diagnostics[0]?.message).toContain(wording);
    expect(diagnostics[0]?.message).not.toMatch(/\b1X\b|internal error/);
  });

  it('keeps a manifest another manifest wrongly refers to', async () => {
    const { tasks } = await loadCase('ref-manifest');
    expect(tasks.map((t) => t.key)).toEqual(['a']);
  });
});

describe('valid manifests', () => {
  const validRoot = path.join(fixtures, 'valid');
  const env = { TITAN_TEST_PARTNER_TOKEN: 'token-from-env' };

  it('load with zero diagnostics', async () => {
    const loaded = await loadManifests([validRoot], {
      cwd: validRoot,
      env,
      workspaceRoot: validRoot,
      schemas,
    });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.tasks.map((t) => t.key)).toEqual([
      'carrier-quotes',
      'docs-crawl',
      'hourly-stock',
      'partner-api',
      'product-prices',
      'product-reviews',
      'search-then-scrape',
      'serp-coffee',
      'weekday-morning-news',
    ]);
    // schemas/review.yaml is referenced by a $ref: a schema, not a manifest.
    expect(loaded.files).toEqual([
      'classic-single.yaml',
      'env-interpolation.yaml',
      'modular.yaml',
      'multi-step.yaml',
      'ref-schema.yaml',
      'scheduled.yaml',
    ]);
  });

  it.each([
    'classic-single.yaml',
    'scheduled.yaml',
    'modular.yaml',
    'multi-step.yaml',
    'ref-schema.yaml',
    'env-interpolation.yaml',
  ])('%s alone has zero diagnostics', async (file) => {
    const loaded = await loadManifests([path.join(validRoot, file)], {
      cwd: validRoot,
      env,
      workspaceRoot: validRoot,
      schemas,
    });
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.tasks.length).toBeGreaterThan(0);
  });
});
