/**
 * Where the subschemas of a JSON Schema (draft 2020-12, plus the draft-07 spellings ajv still accepts) are, so
 * walkers visit schemas and never mistake data (`const`, `enum`, `default`, `examples`) for one. Pure.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { PathSegment } from './paths.js';

const ONE_SCHEMA = new Set([
  'additionalProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
  'additionalItems',
]);
const SCHEMA_MAP = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);

export type SchemaSlot = { path: PathSegment[]; schema: JsonValue };

/** The direct subschemas of `schema`, each with its path relative to `schema`. */
export function subschemas(schema: JsonObject): SchemaSlot[] {
  const out: SchemaSlot[] = [];
  for (const [keyword, value] of Object.entries(schema)) {
    if (ONE_SCHEMA.has(keyword) || (keyword === 'items' && !Array.isArray(value))) {
      out.push({ path: [keyword], schema: value });
    } else if ((SCHEMA_LIST.has(keyword) || keyword === 'items') && Array.isArray(value)) {
      value.forEach((item, i) => out.push({ path: [keyword, i], schema: item }));
    } else if (SCHEMA_MAP.has(keyword) && isJsonObject(value)) {
      for (const [name, item] of Object.entries(value)) out.push({ path: [keyword, name], schema: item });
    } else if (keyword === 'dependencies' && isJsonObject(value)) {
      for (const [name, item] of Object.entries(value)) {
        if (!Array.isArray(item)) out.push({ path: [keyword, name], schema: item });
      }
    }
  }
  return out;
}

/** True when `keyword`'s value holds schemas (so a copy must be rebuilt through the walker). */
export const holdsSchemas = (keyword: string): boolean =>
  ONE_SCHEMA.has(keyword) ||
  SCHEMA_MAP.has(keyword) ||
  SCHEMA_LIST.has(keyword) ||
  keyword === 'items' ||
  keyword === 'dependencies';

/** Visits `schema` and every subschema below it, depth first, with paths relative to `schema`. */
export function visitSchemas(
  schema: JsonValue,
  visit: (node: JsonObject, path: PathSegment[]) => void,
  path: PathSegment[] = [],
): void {
  if (!isJsonObject(schema)) return;
  visit(schema, path);
  for (const slot of subschemas(schema)) visitSchemas(slot.schema, visit, [...path, ...slot.path]);
}
