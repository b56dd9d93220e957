import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/core/json.js';
import { classifySchemaChange } from '../../../src/core/plan/schema-compat.js';

const base: JsonObject = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 200 },
    price: { type: ['number', 'null'] },
    currency: { type: 'string', enum: ['EUR', 'USD'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['name'],
};

const edit = (change: (schema: JsonObject) => void): JsonObject => {
  const copy = structuredClone(base);
  change(copy);
  return copy;
};
const props = (schema: JsonObject): JsonObject => schema.properties as JsonObject;

describe('output_schema compatibility', () => {
  const breaking: [string, JsonObject, string][] = [
    ['property removed', edit((s) => delete props(s).price), 'property `price` removed'],
    [
      'type narrowed',
      edit((s) => (props(s).price = { type: 'number' })),
      '`price`: type narrowed from number | null to number',
    ],
    [
      'type changed',
      edit((s) => (props(s).name = { type: 'integer' })),
      '`name`: type changed from string to integer',
    ],
    ['new required property', edit((s) => (s.required = ['name', 'price'])), '`price` is now required'],
    [
      'enum value removed',
      edit((s) => (props(s).currency = { type: 'string', enum: ['EUR'] })),
      '`currency`: enum value removed: "USD"',
    ],
    [
      'additionalProperties tightened',
      edit((s) => (s.additionalProperties = false)),
      'additional properties no longer allowed',
    ],
    [
      'bound made stricter',
      edit((s) => (props(s).name = { type: 'string', maxLength: 100 })),
      '`name`: maxLength 200 -> 100',
    ],
    [
      'pattern added',
      edit((s) => (props(s).name = { type: 'string', maxLength: 200, pattern: '^[A-Z]' })),
      '`name`: pattern added',
    ],
    [
      'array items narrowed',
      edit((s) => (props(s).tags = { type: 'array', items: { type: 'string', enum: ['a'] } })),
      '`tags[]`: values restricted to "a"',
    ],
    ['root type changed', edit((s) => (s.type = 'array')), 'type changed from object to array'],
    [
      'unknown keyword changed',
      edit((s) => (s.if = { required: ['x'] })),
      '`if` changed (titan cannot tell whether it is compatible)',
    ],
  ];
  for (const [name, after, reason] of breaking) {
    it(`breaking: ${name}`, () => {
      const verdict = classifySchemaChange(base, after);
      expect(verdict.compatibility).toBe('breaking');
      expect(verdict.breaking).toContain(reason);
    });
  }

  const compatible: [string, JsonObject, string | undefined][] = [
    ['property added', edit((s) => (props(s).sku = { type: 'string' })), 'property `sku` added'],
    [
      'type widened',
      edit((s) => (props(s).name = { type: ['string', 'null'], maxLength: 200 })),
      '`name`: type widened from string to string | null',
    ],
    [
      'enum value added',
      edit((s) => (props(s).currency = { type: 'string', enum: ['EUR', 'USD', 'GBP'] })),
      '`currency`: enum value added: "GBP"',
    ],
    ['required relaxed', edit((s) => (s.required = [])), '`name` is no longer required'],
    [
      'bound relaxed',
      edit((s) => (props(s).name = { type: 'string', maxLength: 500 })),
      '`name`: maxLength 200 -> 500',
    ],
    ['description changed', edit((s) => (s.description = 'Products')), undefined],
    [
      'property description added',
      edit((s) => (props(s).price = { type: ['number', 'null'], description: 'x' })),
      undefined,
    ],
  ];
  for (const [name, after, reason] of compatible) {
    it(`compatible: ${name}`, () => {
      const verdict = classifySchemaChange(base, after);
      expect(verdict).toMatchObject({ compatibility: 'compatible', breaking: [] });
      if (reason !== undefined) expect(verdict.compatible).toContain(reason);
    });
  }

  it('an added schema is compatible, a removed one breaking', () => {
    expect(classifySchemaChange(undefined, base).compatibility).toBe('compatible');
    expect(classifySchemaChange(base, undefined)).toMatchObject({
      compatibility: 'breaking',
      breaking: ['output schema removed'],
    });
  });

  it('integer -> number widens, number -> integer narrows', () => {
    expect(classifySchemaChange({ type: 'integer' }, { type: 'number' }).compatibility).toBe('compatible');
    expect(classifySchemaChange({ type: 'number' }, { type: 'integer' }).breaking).toEqual([
      'type narrowed from number to integer',
    ]);
  });

  it('reports nested paths', () => {
    const before = {
      type: 'object',
      properties: { offer: { type: 'object', properties: { price: { type: 'number' } } } },
    };
    const after = { type: 'object', properties: { offer: { type: 'object', properties: {} } } };
    expect(classifySchemaChange(before, after).breaking).toEqual(['property `offer.price` removed']);
  });
});
