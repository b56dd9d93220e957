/**
 * titan skips the meta-schema check and the strict compile of "plain" output schemas (src/core/manifest/plain-schema.ts).
 * The claim it rests on — a plain schema passes the meta-schema and compiles with no error and no strict-mode finding — is checked here
 * against the compiler on random schemas drawn from a grammar that mixes plain and non-plain constructs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/core/json.js';
import { isPlainSchema } from '../../../src/core/manifest/plain-schema.js';
import { createManifestSchemas } from '../../../src/io/schemas.js';

const schemas = createManifestSchemas();
const NAMES = ['a', 'b', 'price', 'sku'];

/** Keywords each type carries; the grammar mostly stays within them and sometimes strays (see `stray`). */
const APPLICABLE: Record<string, [string, JsonValue][]> = {
  string: [
    ['minLength', 1],
    ['maxLength', 64],
    ['pattern', '^[A-Z]{3}$'],
    ['format', 'uri'],
    ['format', 'date-time'],
  ],
  number: [
    ['minimum', 0],
    ['exclusiveMaximum', 10],
    ['multipleOf', 0.5],
  ],
  integer: [
    ['maximum', 5],
    ['exclusiveMinimum', 0],
  ],
  boolean: [],
  null: [],
  object: [
    ['minProperties', 1],
    ['maxProperties', 9],
  ],
  array: [
    ['minItems', 1],
    ['uniqueItems', true],
  ],
};
const ANYWHERE: [string, JsonValue][] = [
  ['enum', ['x', 1, null]],
  ['const', 'x'],
  ['description', 'notes'],
  ['title', 'A'],
  ['examples', ['x']],
  ['deprecated', false],
  ['readOnly', true],
  ['writeOnly', false],
  ['$comment', 'why'],
];
/** What a plain schema must not hold: each one fails to compile or draws a strict-mode finding, or may. */
const stray = fc.constantFrom<[string, JsonValue]>(
  ['minimum', 1],
  ['pattern', 'a'],
  ['minItems', 1],
  ['required', ['missing']],
  ['nullable', true],
  ['default', 'x'],
  ['$ref', '#/$defs/missing'],
  ['type', ['string', 'null']],
  ['allOf', [{ type: 'string' }]],
  ['items', [{ type: 'string' }]],
  // Values the meta-schema refuses.
  ['minLength', -1],
  ['maxItems', 1.5],
  ['minimum', 'x'],
  ['multipleOf', 0],
  ['required', ['a', 'a']],
  ['enum', 'x'],
  ['title', 3],
  ['type', 'strin'],
);

const schemaArb: fc.Memo<JsonValue> = fc.memo((depth) => {
  const child = depth > 1 ? schemaArb(depth - 1) : fc.constantFrom<JsonValue>(true, { type: 'string' });
  const node = fc.constantFrom(...Object.keys(APPLICABLE)).chain((type) =>
    fc
      .record({
        typed: fc.boolean(),
        leaves: fc.subarray([...(APPLICABLE[type] ?? []), ...ANYWHERE], { maxLength: 3 }),
        properties: fc.dictionary(fc.constantFrom(...NAMES), child, { maxKeys: 3 }),
        required: fc.subarray(NAMES),
        additionalProperties: fc.option(child, { nil: undefined }),
        items: child,
        strays: fc.array(stray, { maxLength: 1 }),
      })
      .map((parts) => {
        const schema: JsonObject = parts.typed ? { type } : {};
        for (const [keyword, value] of parts.leaves) schema[keyword] = value;
        if (type === 'object') {
          schema.properties = parts.properties;
          const required = parts.required.filter((name) => name in parts.properties);
          if (required.length > 0) schema.required = required;
          if (parts.additionalProperties !== undefined)
            schema.additionalProperties = parts.additionalProperties;
        }
        if (type === 'array') schema.items = parts.items;
        for (const [keyword, value] of parts.strays) schema[keyword] = value;
        return schema;
      }),
  );
  return fc.oneof({ weight: 1, arbitrary: fc.boolean() }, { weight: 8, arbitrary: node });
});

const rootArb = fc
  .tuple(
    schemaArb(3),
    fc.constantFrom<string | undefined>(undefined, 'http://json-schema.org/draft-07/schema#'),
  )
  .filter((pair): pair is [JsonObject, string | undefined] => isJsonObject(pair[0]))
  .map(([schema, dialect]) => (dialect ? { $schema: dialect, ...schema } : schema));

describe('plain output schemas', () => {
  it('every plain schema passes the meta-schema and compiles without error or strict-mode finding', () => {
    let plain = 0;
    fc.assert(
      fc.property(rootArb, (schema) => {
        if (!isPlainSchema(schema)) return;
        plain++;
        expect(schemas.validateMetaSchema(schema)).toEqual([]);
        expect(schemas.compileOutputSchema(schema)).toEqual({ warnings: [] });
      }),
      { numRuns: 3000, seed: 20261122 },
    );
    // The grammar must reach the plain shape often, or the property says nothing.
    expect(plain).toBeGreaterThan(300);
  });

  it('takes the schemas large workspaces are made of', () => {
    expect(
      isPlainSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1 },
          price: { type: 'number', minimum: 0 },
          tags: { type: 'array', items: { type: 'string', enum: ['new', 'sale'] } },
        },
        required: ['name', 'price'],
        additionalProperties: false,
      }),
    ).toBe(true);
  });

  it.each<[string, JsonObject]>([
    ['a required property that is not defined', { type: 'object', properties: {}, required: ['a'] }],
    ['a keyword its type does not carry', { type: 'string', minimum: 1 }],
    ['a typed keyword without a type', { properties: { a: { type: 'string' } } }],
    ['a union type', { type: ['string', 'null'] }],
    ['a tuple', { type: 'array', items: [{ type: 'string' }] }],
    ['a $ref', { $ref: '#/$defs/a', $defs: { a: { type: 'string' } } }],
    ['a combinator', { allOf: [{ type: 'string' }] }],
    ['a non-plain schema deep inside', { type: 'object', properties: { a: { type: 'string', minimum: 1 } } }],
    ['a value the meta-schema refuses', { type: 'string', minLength: -1 }],
    ['a required name twice', { type: 'object', properties: { a: true }, required: ['a', 'a'] }],
  ])('leaves schemas with %s to the meta-schema and the compiler', (_, schema) => {
    expect(isPlainSchema(schema)).toBe(false);
  });
});
