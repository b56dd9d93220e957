/**
 * Is an `output_schema` change safe for whoever consumes the task's results? A change is **breaking** when
 * results valid under the old schema may be invalid under the new one, or a field consumers read disappears:
 * property removed, type narrowed or changed, newly required property, enum value removed, const changed,
 * additional properties tightened, a bound made stricter, a pattern or format added or changed. Widening
 * changes (property added, type widened, enum value added, bound relaxed) are compatible; annotations
 * (`title`, `description`, `examples`, …) are ignored. A keyword titan cannot reason about counts as breaking:
 * when in doubt, a reviewer should look.
 */
import { deepEqual, isJsonObject, type JsonObject, type JsonValue } from '../json.js';

export interface SchemaCompatibility {
  compatibility: 'breaking' | 'compatible';
  /** Why it is breaking (empty when compatible). */
  breaking: string[];
  /** Notable compatible changes ("property `sku` added"). */
  compatible: string[];
}

const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'default',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$schema',
  '$id',
  '$anchor',
  'contentMediaType',
  'contentEncoding',
]);
/** Keywords whose increase makes the schema stricter. */
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains'];
/** Keywords whose decrease makes the schema stricter. */
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains'];
/** Keywords compared here (everything else falls to the conservative "changed" rule). */
const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'prefixItems',
  'pattern',
  'format',
  'uniqueItems',
  'anyOf',
  'oneOf',
  '$defs',
  'definitions',
  'multipleOf',
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
]);

export function classifySchemaChange(
  before: JsonValue | undefined,
  after: JsonValue | undefined,
): SchemaCompatibility {
  const out: SchemaCompatibility = { compatibility: 'compatible', breaking: [], compatible: [] };
  if (before === undefined && after !== undefined) out.compatible.push('output schema added');
  else if (before !== undefined && after === undefined) out.breaking.push('output schema removed');
  else if (before !== undefined && after !== undefined) compare(before, after, '', out);
  out.compatibility = out.breaking.length > 0 ? 'breaking' : 'compatible';
  return out;
}

function compare(before: JsonValue, after: JsonValue, path: string, out: SchemaCompatibility): void {
  if (deepEqual(before, after)) return;
  const where = path === '' ? '' : `\`${path}\`: `;
  if (typeof before === 'boolean' || typeof after === 'boolean') {
    if (after === false) out.breaking.push(`${where}now rejects every value`);
    else if (before === false || after === true) out.compatible.push(`${where}now accepts any value`);
    else out.breaking.push(`${where}an accept-anything schema became constrained`);
    return;
  }
  if (!isJsonObject(before) || !isJsonObject(after)) {
    out.breaking.push(`${where}schema changed`);
    return;
  }
  compareTypes(before, after, where, out);
  compareEnum(before, after, where, out);
  compareRequired(before, after, path, out);
  compareProperties(before, after, path, out);
  compareAdditional(before, after, path, where, out);
  compareItems(before, after, path, out);
  compareBounds(before, after, where, out);
  compareUnions(before, after, path, where, out);
  compareDefs(before, after, path, out);
  for (const keyword of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (HANDLED.has(keyword) || ANNOTATIONS.has(keyword)) continue;
    if (!deepEqual(before[keyword], after[keyword])) {
      out.breaking.push(`${where}\`${keyword}\` changed (titan cannot tell whether it is compatible)`);
    }
  }
}

const typesOf = (schema: JsonObject): string[] | undefined => {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return undefined;
};

/** Does the type set `to` accept every value `from` accepts? (`number` covers `integer`.) */
const typeCovered = (type: string, to: string[]): boolean =>
  to.includes(type) || (type === 'integer' && to.includes('number'));

function compareTypes(before: JsonObject, after: JsonObject, where: string, out: SchemaCompatibility): void {
  const from = typesOf(before);
  const to = typesOf(after);
  if (deepEqual(from, to)) return;
  const show = (types: string[] | undefined): string => (types === undefined ? 'any' : types.join(' | '));
  if (to === undefined) {
    out.compatible.push(`${where}type widened from ${show(from)} to any`);
    return;
  }
  const lost = from === undefined ? ['any'] : from.filter((type) => !typeCovered(type, to));
  if (lost.length === 0) out.compatible.push(`${where}type widened from ${show(from)} to ${show(to)}`);
  else if (from === undefined || to.every((type) => typeCovered(type, from))) {
    out.breaking.push(`${where}type narrowed from ${show(from)} to ${show(to)}`);
  } else out.breaking.push(`${where}type changed from ${show(from)} to ${show(to)}`);
}

function compareEnum(before: JsonObject, after: JsonObject, where: string, out: SchemaCompatibility): void {
  const from = Array.isArray(before.enum) ? before.enum : undefined;
  const to = Array.isArray(after.enum) ? after.enum : undefined;
  if (to !== undefined && from === undefined) out.breaking.push(`${where}values restricted to ${values(to)}`);
  else if (from !== undefined && to === undefined)
    out.compatible.push(`${where}enum removed (any value allowed)`);
  else if (from !== undefined && to !== undefined) {
    const removed = from.filter((value) => !to.some((v) => deepEqual(v, value)));
    const added = to.filter((value) => !from.some((v) => deepEqual(v, value)));
    if (removed.length > 0)
      out.breaking.push(`${where}enum value${removed.length > 1 ? 's' : ''} removed: ${values(removed)}`);
    if (added.length > 0)
      out.compatible.push(`${where}enum value${added.length > 1 ? 's' : ''} added: ${values(added)}`);
  }
  if (!deepEqual(before.const, after.const)) {
    if (after.const === undefined) out.compatible.push(`${where}const removed`);
    else
      out.breaking.push(
        `${where}const ${before.const === undefined ? 'added' : 'changed'}: ${values([after.const])}`,
      );
  }
}

const values = (list: JsonValue[]): string => list.map((v) => JSON.stringify(v)).join(', ');

function compareRequired(
  before: JsonObject,
  after: JsonObject,
  path: string,
  out: SchemaCompatibility,
): void {
  const from = stringsOf(before.required);
  const to = stringsOf(after.required);
  for (const name of to)
    if (!from.includes(name)) out.breaking.push(`\`${join(path, name)}\` is now required`);
  for (const name of from)
    if (!to.includes(name)) out.compatible.push(`\`${join(path, name)}\` is no longer required`);
}

const stringsOf = (value: JsonValue | undefined): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function compareProperties(
  before: JsonObject,
  after: JsonObject,
  path: string,
  out: SchemaCompatibility,
): void {
  const from = isJsonObject(before.properties) ? before.properties : {};
  const to = isJsonObject(after.properties) ? after.properties : {};
  for (const name of Object.keys(from).sort()) {
    const next = to[name];
    if (next === undefined) out.breaking.push(`property \`${join(path, name)}\` removed`);
    else compare(from[name] as JsonValue, next, join(path, name), out);
  }
  for (const name of Object.keys(to).sort()) {
    if (!(name in from)) out.compatible.push(`property \`${join(path, name)}\` added`);
  }
}

function compareAdditional(
  before: JsonObject,
  after: JsonObject,
  path: string,
  where: string,
  out: SchemaCompatibility,
): void {
  const from = before.additionalProperties ?? true;
  const to = after.additionalProperties ?? true;
  if (deepEqual(from, to)) return;
  if (to === false) out.breaking.push(`${where}additional properties no longer allowed`);
  else if (to === true) out.compatible.push(`${where}additional properties now allowed`);
  else if (from === true) out.breaking.push(`${where}additional properties now constrained`);
  else compare(from, to, join(path, '*'), out);
}

function compareItems(before: JsonObject, after: JsonObject, path: string, out: SchemaCompatibility): void {
  if (!deepEqual(before.items, after.items)) {
    compare(before.items ?? true, after.items ?? true, `${path}[]`, out);
  }
  const from = Array.isArray(before.prefixItems) ? before.prefixItems : [];
  const to = Array.isArray(after.prefixItems) ? after.prefixItems : [];
  for (let i = 0; i < Math.max(from.length, to.length); i += 1) {
    compare(from[i] ?? true, to[i] ?? true, `${path}[${i}]`, out);
  }
  if (before.uniqueItems !== true && after.uniqueItems === true) {
    out.breaking.push(`${path === '' ? '' : `\`${path}\`: `}items must now be unique`);
  }
}

function compareBounds(before: JsonObject, after: JsonObject, where: string, out: SchemaCompatibility): void {
  for (const keyword of [...LOWER_BOUNDS, ...UPPER_BOUNDS]) {
    const from = before[keyword];
    const to = after[keyword];
    if (from === to) continue;
    const lower = LOWER_BOUNDS.includes(keyword);
    const stricter = typeof to === 'number' && (typeof from !== 'number' || (lower ? to > from : to < from));
    const text = `${keyword} ${from === undefined ? 'added' : to === undefined ? 'removed' : `${from} -> ${to}`}`;
    if (stricter) out.breaking.push(`${where}${text}`);
    else out.compatible.push(`${where}${text}`);
  }
  for (const keyword of ['pattern', 'format', 'multipleOf']) {
    if (deepEqual(before[keyword], after[keyword])) continue;
    if (after[keyword] === undefined) out.compatible.push(`${where}${keyword} removed`);
    else out.breaking.push(`${where}${keyword} ${before[keyword] === undefined ? 'added' : 'changed'}`);
  }
}

/** anyOf/oneOf: removing an alternative narrows; adding one widens. */
function compareUnions(
  before: JsonObject,
  after: JsonObject,
  path: string,
  where: string,
  out: SchemaCompatibility,
): void {
  for (const keyword of ['anyOf', 'oneOf']) {
    const from = Array.isArray(before[keyword]) ? (before[keyword] as JsonValue[]) : undefined;
    const to = Array.isArray(after[keyword]) ? (after[keyword] as JsonValue[]) : undefined;
    if (deepEqual(from, to)) continue;
    if (from !== undefined && to !== undefined && from.length === to.length) {
      from.forEach((branch, i) =>
        compare(branch, to[i] as JsonValue, `${path}${path ? '.' : ''}${keyword}[${i}]`, out),
      );
      continue;
    }
    const removed = (from ?? []).filter((branch) => !(to ?? []).some((b) => deepEqual(b, branch)));
    if (to === undefined) out.compatible.push(`${where}${keyword} removed`);
    else if (from === undefined || removed.length > 0)
      out.breaking.push(`${where}${keyword} alternatives removed or added`);
    else out.compatible.push(`${where}${keyword} alternative added`);
  }
}

/** Definitions are compared by name; a removed definition only matters through a `$ref`, which is compared too. */
function compareDefs(before: JsonObject, after: JsonObject, path: string, out: SchemaCompatibility): void {
  for (const keyword of ['$defs', 'definitions']) {
    const from = isJsonObject(before[keyword]) ? before[keyword] : {};
    const to = isJsonObject(after[keyword]) ? after[keyword] : {};
    for (const name of Object.keys(from).sort()) {
      const next = to[name];
      if (next !== undefined)
        compare(from[name] as JsonValue, next, `${path}${path ? '.' : ''}${keyword}/${name}`, out);
    }
  }
}
