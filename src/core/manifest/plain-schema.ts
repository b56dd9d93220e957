/**
 * Most output schemas are plain: typed properties with ranges, patterns, formats and enums. For those, compiling
 * in strict mode can be skipped — no such schema fails to compile or draws a strict-mode finding — which saves
 * most of the time of checking a large workspace (a compile costs ~0.4 ms; a repository may hold thousands of
 * distinct schemas). Anything outside this shape is compiled. Call only after the meta-schema check and the
 * keyword walk found nothing: they, not this, reject unknown keywords, bad patterns and unknown formats.
 * `test/unit/manifest/plain-schema.test.ts` checks the claim against the compiler on random schemas. Pure.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';

const ANNOTATIONS = new Set([
  'title',
  'description',
  '$comment',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
]);
const ANY_TYPE = new Set(['type', 'enum', 'const']);
/** The keywords each type may carry: strict types reject a keyword whose type the schema does not declare. */
const BY_TYPE: Record<string, ReadonlySet<string>> = {
  string: new Set(['minLength', 'maxLength', 'pattern', 'format']),
  number: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  integer: new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  boolean: new Set(),
  null: new Set(),
  object: new Set(['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties']),
  array: new Set(['items', 'minItems', 'maxItems', 'uniqueItems']),
};

/** True when `schema` is plain (see above), so it compiles without error or strict-mode finding. */
export function isPlainSchema(schema: JsonObject): boolean {
  return isPlainNode(schema, true);
}

function isPlainNode(node: JsonValue, root: boolean): boolean {
  if (typeof node === 'boolean') return true;
  if (!isJsonObject(node)) return false;
  const type = node.type;
  if (type !== undefined && (typeof type !== 'string' || !(type in BY_TYPE))) return false;
  const typed = type === undefined ? undefined : BY_TYPE[type];
  for (const [keyword, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(keyword) || ANY_TYPE.has(keyword) || (root && keyword === '$schema')) continue;
    if (typed === undefined || !typed.has(keyword)) return false;
    if (!isPlainValue(node, keyword, value)) return false;
  }
  return true;
}

/** The typed keywords that hold schemas or name properties must hold plain ones. */
function isPlainValue(node: JsonObject, keyword: string, value: JsonValue): boolean {
  switch (keyword) {
    case 'properties':
      return isJsonObject(value) && Object.values(value).every((child) => isPlainNode(child, false));
    case 'additionalProperties':
    case 'items':
      return isPlainNode(value, false);
    case 'required': {
      const properties = node.properties;
      return (
        Array.isArray(value) &&
        isJsonObject(properties) &&
        value.every((name) => typeof name === 'string' && Object.hasOwn(properties, name))
      );
    }
    default:
      return true;
  }
}
