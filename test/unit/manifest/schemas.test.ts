/**
 * The published JSON Schemas: strict-mode clean, documented for editors, and in agreement with the loader's own
 * rules (an editor using them flags what `titan validate` flags for the task layouts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES } from '../../../src/core/manifest/countries.js';
import { isJsonObject } from '../../../src/core/json.js';

const root = path.resolve(__dirname, '../../..');
const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(root, file), 'utf8'));
const manifestSchema = readJson('schemas/manifest.schema.json');
const taskSchema = readJson('schemas/task.schema.json');
/** Published beside the manifest schemas: the lockfile and the saved plan. */
const OTHER_SCHEMAS = ['schemas/lockfile.schema.json', 'schemas/plan.schema.json'];

function strictValidator() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addSchema(taskSchema, 'task.schema.json');
  return ajv.compile(manifestSchema);
}

/** Every schema object that sits under a `properties` mapping, with its path. */
function propertySchemas(node: unknown, at = '#'): [string, Record<string, unknown>][] {
  if (Array.isArray(node)) return node.flatMap((item, i) => propertySchemas(item, `${at}/${i}`));
  if (!isJsonObject(node)) return [];
  const own = isJsonObject(node.properties)
    ? Object.entries(node.properties)
        .filter(([, value]) => isJsonObject(value))
        .map(
          ([name, value]) =>
            [`${at}/properties/${name}`, value as Record<string, unknown>] as [
              string,
              Record<string, unknown>,
            ],
        )
    : [];
  return [...own, ...Object.entries(node).flatMap(([key, value]) => propertySchemas(value, `${at}/${key}`))];
}

const documentsOf = (file: string): unknown[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) => (Array.isArray(doc) ? [] : [doc.toJS()]));

describe('published schemas', () => {
  it('compile under ajv strict mode (draft 2020-12)', () => {
    expect(manifestSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(taskSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => strictValidator()).not.toThrow();
  });

  it('describe every property, so editors can show help', () => {
    const undocumented = [
      ...propertySchemas(manifestSchema).map(([at, s]) => [`manifest${at}`, s] as const),
      ...propertySchemas(taskSchema).map(([at, s]) => [`task${at}`, s] as const),
    ]
      .filter(([at, schema]) => typeof schema.description !== 'string' && !at.includes('/allOf/'))
      .map(([at]) => at);
    expect(undocumented).toEqual([]);
    expect(propertySchemas(taskSchema).length).toBeGreaterThan(16);
  });

  it.each(OTHER_SCHEMAS)('%s compiles under ajv strict mode and describes every property', (file) => {
    const schema = readJson(file);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => new Ajv2020({ strict: true, allErrors: true }).compile(schema)).not.toThrow();
    const properties = propertySchemas(schema);
    expect(properties.length).toBeGreaterThan(3);
    expect(properties.filter(([, s]) => typeof s.description !== 'string').map(([at]) => at)).toEqual([]);
  });

  it('tell editors how to use them and how to escape interpolation', () => {
    expect(manifestSchema.description).toContain('# yaml-language-server: $schema=');
    expect(manifestSchema.description).toContain('$${');
    expect(taskSchema.description).toContain('$${');
  });

  it('list the same ISO-3166 codes as the loader', () => {
    const defs = taskSchema.$defs as Record<string, { enum: string[] }>;
    expect(defs.countryCode?.enum).toEqual([...COUNTRY_CODES]);
    expect(COUNTRY_CODES).toHaveLength(249);
  });

  it('keep layout rules only in the task schema root allOf (the loader reports those itself)', () => {
    expect(manifestSchema.allOf).toBeUndefined();
    expect(Array.isArray(taskSchema.allOf)).toBe(true);
  });
});

describe('schemas agree with the loader', () => {
  const validate = strictValidator();
  const validDir = path.join(root, 'test/fixtures/manifests/valid');
  const invalidDir = path.join(root, 'test/fixtures/manifests/invalid');

  it.each(readdirSync(validDir).filter((f) => f.endsWith('.yaml')))(
    'valid/%s passes the raw schema',
    (file) => {
      for (const document of documentsOf(path.join(validDir, file))) {
        expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
      }
    },
  );

  it.each([
    'schedule-missing.yaml',
    'schedule-on-single.yaml',
    'template-both.yaml',
    'layout-plan-and-action.yaml',
    'layout-modular-no-input-source.yaml',
    'layout-scrape-no-output-schema.yaml',
    'modular-previous-step.yaml',
    'required-objective-classic.yaml',
    'unknown-field-typo.yaml',
    'enum-proxy-location.yaml',
  ])('invalid/%s fails the raw schema too', (file) => {
    const [document] = documentsOf(path.join(invalidDir, file));
    expect(validate(document)).toBe(false);
  });
});
