/**
 * Most output schemas are plain: typed properties with ranges, patterns, formats and enums, every keyword holding
 * a value of the type the meta-schema asks for. A plain schema passes the meta-schema and compiles in strict mode
 * without error or finding, so both steps can be skipped — they are most of the time of checking a large
 * workspace (a compile costs ~0.4 ms; a repository may hold thousands of distinct schemas). Anything else goes
 * through both. The keyword walk still runs: it, not this, rejects bad patterns and unknown formats.
 * `test/unit/manifest/plain-schema.test.ts` checks the claim against ajv on random schemas. Pure.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';

type ValueCheck = (value: JsonValue) => boolean;

const isString: ValueCheck = (value) => typeof value === 'string';
const isNumber: ValueCheck = (value) => typeof value === 'number';
const isCount: ValueCheck = (value) => Number.isInteger(value) && (value as number) >= 0;
const isBoolean: ValueCheck = (value) => typeof value === 'boolean';
const anything: ValueCheck = () => true;

/** Keywords any schema may carry, with the values the meta-schema allows. */
const ANY_TYPE: Readonly<Record<string, ValueCheck>> = {
  title: isString,
  description: isString,
  $comment: isString,
  examples: Array.isArray,
  deprecated: isBoolean,
  readOnly: isBoolean,
  writeOnly: isBoolean,
  enum: Array.isArray,
  const: anything,
};
const NUMERIC: Readonly<Record<string, ValueCheck>> = {
  minimum: isNumber,
  maximum: isNumber,
  exclusiveMinimum: isNumber,
  exclusiveMaximum: isNumber,
  multipleOf: (value) => typeof value === 'number' && value > 0,
};
/** The keywords each type may carry: strict types reject a keyword whose type the schema does not declare. */
const BY_TYPE: Readonly<Record<string, Readonly<Record<string, ValueCheck>>>> = {
  string: { minLength: isCount, maxLength: isCount, pattern: isString, format: isString },
  number: NUMERIC,
  integer: NUMERIC,
  boolean: {},
  null: {},
  object: { minProperties: isCount, maxProperties: isCount }, // properties, required, additionalProperties: below
  array: { minItems: isCount, maxItems: isCount, uniqueItems: isBoolean }, // items: below
};

/** True when `schema` is plain (see above). */
export function isPlainSchema(schema: JsonObject): boolean {
  return isPlainNode(schema, true);
}

function isPlainNode(node: JsonValue, root: boolean): boolean {
  if (typeof node === 'boolean') return true;
  if (!isJsonObject(node)) return false;
  const type = node.type;
  if (type !== undefined && (typeof type !== 'string' || !Object.hasOwn(BY_TYPE, type))) return false;
  for (const [keyword, value] of Object.entries(node)) {
    if (keyword === 'type' || (root && keyword === '$schema')) continue;
    const check = Object.hasOwn(ANY_TYPE, keyword)
      ? ANY_TYPE[keyword]
      : type !== undefined && Object.hasOwn(BY_TYPE[type] ?? {}, keyword)
        ? BY_TYPE[type]?.[keyword]
        : undefined;
    if (check !== undefined ? !check(value) : !isPlainSubschemas(node, type, keyword, value)) return false;
  }
  return true;
}

/** An object's properties and required names and an array's items, holding plain schemas and defined names. */
function isPlainSubschemas(node: JsonObject, type: unknown, keyword: string, value: JsonValue): boolean {
  if (type === 'array') return keyword === 'items' && isPlainNode(value, false);
  if (type !== 'object') return false;
  switch (keyword) {
    case 'properties':
      return isJsonObject(value) && Object.values(value).every((child) => isPlainNode(child, false));
    case 'additionalProperties':
      return isPlainNode(value, false);
    case 'required': {
      const properties = node.properties;
      return (
        Array.isArray(value) &&
        isJsonObject(properties) &&
        new Set(value).size === value.length &&
        value.every((name) => typeof name === 'string' && Object.hasOwn(properties, name))
      );
    }
    default:
      return false;
  }
}
