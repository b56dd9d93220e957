/**
 * Turns JSON Schema validation errors (ajv-shaped) into diagnostics a person can act on: placed at the YAML
 * node, worded in YAML terms, with "did you mean" hints — never raw ajv text. Pure.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { TASK_SPEC_FIELDS } from '../model.js';
import { Code } from './codes.js';
import { suggestCountryCode } from './countries.js';
import { describeValue, joinOr, jsonType, quote, slugify, typeName } from './describe.js';
import { displayPath, pathFromPointer, toPointer, valueAt, type Path, type PathSegment } from './paths.js';
import type { SchemaError } from './schema-port.js';
import { didYouMean } from './suggest.js';

export interface SchemaErrorContext {
  /** The validated value. */
  root: unknown;
  /** Where the validated value sits in the manifest document (for messages and `path`). */
  basePath: Path;
  /** Source location of a path of the validated value. */
  place(path: Path, mode: 'key' | 'value'): SourceLocation;
  /** True when the value at a path (of the validated value) came from the environment. */
  isSensitive(path: Path): boolean;
  /** One code for every finding (used for output schemas checked against the meta-schema). */
  code?: string;
  /**
   * Drop findings of the task schema's root `allOf` (the layout rules kept there for editors): the semantic
   * checks report the same rules with precise codes.
   */
  dropLayoutRules?: boolean;
}

const KEY_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const KEY_RULE = '1–63 lower-case letters, digits or "-", starting and ending with a letter or digit';
const LABEL_RULE =
  'letters, digits, ".", "_", "/" or "-", at most 63 characters, starting and ending with a letter or digit';

export function diagnosticsFromSchemaErrors(
  errors: readonly SchemaError[],
  ctx: SchemaErrorContext,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of reduceAlternatives(relevant(errors, ctx), ctx.root)) {
    const diagnostic = toDiagnostic(error, ctx);
    if (!diagnostic) continue;
    const id = `${diagnostic.code}\u0000${diagnostic.path ?? ''}\u0000${diagnostic.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(diagnostic);
  }
  return out;
}

function relevant(errors: readonly SchemaError[], ctx: SchemaErrorContext): SchemaError[] {
  return errors.filter((e) => {
    if (e.keyword === 'if') return false;
    if (ctx.dropLayoutRules && e.schemaPath.startsWith('#/allOf/')) return false;
    // A bad property name is reported once, by the propertyNames error that names it.
    if (e.schemaPath.includes('/propertyNames/')) return false;
    return true;
  });
}

/**
 * For `anyOf`/`oneOf` failures, keep what the alternative matching the value's type says: findings below the
 * value (that alternative accepted its type), else findings at the value from an alternative of the right type,
 * else one merged type error ("a string or a list").
 */
function reduceAlternatives(errors: SchemaError[], root: unknown): SchemaError[] {
  const alternativePaths = new Set(
    errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath),
  );
  if (alternativePaths.size === 0) return errors;
  const out: SchemaError[] = [];
  for (const path of alternativePaths) {
    const deeper = errors.some((e) => e.instancePath.startsWith(`${path}/`));
    if (deeper) continue;
    const here = errors.filter(
      (e) => e.instancePath === path && e.keyword !== 'anyOf' && e.keyword !== 'oneOf',
    );
    const valueType = jsonType(valueAt(root, pathFromPointer(root, path)));
    const specific = here.filter(
      (e) => e.keyword !== 'type' && !(e.keyword === 'enum' && !enumAdmits(e, valueType)),
    );
    if (specific.length > 0) out.push(...specific);
    else if (here.length > 0) {
      const types = [
        ...new Set(here.flatMap((e) => (e.keyword === 'enum' ? enumTypes(e) : typesOf(e.params.type)))),
      ];
      out.push({ ...(here[0] as SchemaError), keyword: 'type', params: { type: types } });
    }
  }
  return [...errors.filter((e) => !alternativePaths.has(e.instancePath)), ...out];
}

const enumTypes = (error: SchemaError): string[] => {
  const allowed = Array.isArray(error.params.allowedValues) ? error.params.allowedValues : [];
  return [...new Set(allowed.map((v) => (jsonType(v) === 'integer' ? 'number' : jsonType(v))))];
};

/** Whether some allowed value of an enum error has the value's JSON type. */
const enumAdmits = (error: SchemaError, valueType: string): boolean =>
  enumTypes(error).includes(valueType === 'integer' ? 'number' : valueType);

const typesOf = (type: unknown): string[] =>
  Array.isArray(type) ? type.map(String) : typeof type === 'string' ? type.split(',') : [];

function toDiagnostic(error: SchemaError, ctx: SchemaErrorContext): Diagnostic | undefined {
  const path = pathFromPointer(ctx.root, error.instancePath);
  const value = valueAt(ctx.root, path);
  const shown = (p: Path, v: unknown): string => describeValue(v, ctx.isSensitive(p));
  const name = displayPath([...ctx.basePath, ...path]);
  const make = (
    code: string,
    message: string,
    at: Path = path,
    mode: 'key' | 'value' = 'value',
    hint?: string,
    subject: Path = at,
  ): Diagnostic => ({
    code: ctx.code ?? code,
    severity: 'error',
    message,
    ...ctx.place(at, mode),
    path: toPointer([...ctx.basePath, ...subject]),
    ...(hint ? { hint } : {}),
  });

  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      const owner = path.length + ctx.basePath.length === 0 ? 'the document' : name;
      return make(
        Code.schemaRequired,
        `${owner} is missing required field ${quote(missing)}`,
        path,
        'key',
        undefined,
        [...path, missing],
      );
    }
    case 'additionalProperties': {
      const field = String(error.params.additionalProperty);
      const allowed = allowedProperties(error.parentSchema);
      const where = path.length + ctx.basePath.length === 0 ? 'the document' : name;
      const hint = misplacedHint(field, [...ctx.basePath, ...path]) ?? didYouMean(field, allowed);
      return make(
        Code.schemaUnknownField,
        `unknown field ${quote(field)} in ${where}`,
        [...path, field],
        'key',
        hint ?? (allowed.length > 0 ? `known fields: ${allowed.join(', ')}` : undefined),
      );
    }
    case 'type': {
      const expected = typesOf(error.params.type);
      const got = jsonType(value);
      const gotText = got === 'array' || got === 'object' ? typeName(got) : shown(path, value);
      return make(
        Code.schemaType,
        `${name} must be ${expected.length === 1 && expected[0] === 'boolean' ? 'true or false' : joinOr(expected.map(typeName))} (got ${gotText})`,
        path,
        'value',
        path[path.length - 1] === 'items' && Array.isArray(value) && expected.includes('object')
          ? 'draft 2020-12 writes a tuple as prefixItems: [...]; items is one schema for every item'
          : typeHint(expected, value, ctx.isSensitive(path)),
      );
    }
    case 'enum':
    case 'const': {
      const allowed =
        (error.keyword === 'const'
          ? [error.params.allowedValue]
          : (error.params.allowedValues as unknown[])) ?? [];
      return enumDiagnostic(allowed, value, path, name, make, ctx);
    }
    case 'pattern':
      return patternDiagnostic(String(error.params.pattern), value, path, name, make, ctx);
    case 'propertyNames': {
      const label = String(error.params.propertyName);
      return make(
        Code.schemaPattern,
        `label key ${quote(label)} in ${name} is not valid: use ${LABEL_RULE}`,
        [...path, label],
        'key',
      );
    }
    case 'minItems':
    case 'minLength': {
      const limit = Number(error.params.limit);
      const unit = error.keyword === 'minItems' ? 'items' : 'characters';
      return limit <= 1
        ? make(Code.schemaEmpty, `${name} must not be empty`)
        : make(Code.schemaInvalid, `${name} must have at least ${limit} ${unit}`);
    }
    case 'uniqueItems': {
      const i = Number(error.params.i);
      const j = Number(error.params.j);
      const [first, second] = i < j ? [i, j] : [j, i];
      return make(
        Code.schemaDuplicateItem,
        `${displayPath([...ctx.basePath, ...path, second])} repeats ${displayPath([...ctx.basePath, ...path, first])}`,
        [...path, second],
        'value',
        'remove the duplicate',
      );
    }
    case 'false schema':
      return make(Code.schemaUnknownField, `${name} is not allowed here`, path, 'key');
    default:
      return make(Code.schemaInvalid, `${name} ${humanize(error.message ?? 'is invalid')}`);
  }
}

type Make = (code: string, message: string, at?: Path, mode?: 'key' | 'value', hint?: string) => Diagnostic;

function enumDiagnostic(
  allowed: readonly unknown[],
  value: unknown,
  path: PathSegment[],
  name: string,
  make: Make,
  ctx: SchemaErrorContext,
): Diagnostic {
  const sensitive = ctx.isSensitive(path);
  const got = describeValue(value, sensitive);
  const strings = allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const guess = typeof value === 'string' && !sensitive ? didYouMean(value, strings) : undefined;
  if (path.some((s) => s === 'proxy_locations') || [...ctx.basePath].includes('proxy_locations')) {
    const suggestion = typeof value === 'string' && !sensitive ? suggestCountryCode(value) : undefined;
    return make(
      Code.schemaEnum,
      `${name} must be an ISO-3166 alpha-2 country code (got ${got})`,
      path,
      'value',
      suggestion
        ? `did you mean ${quote(suggestion)}?`
        : 'use upper-case two-letter codes such as "US", "DE", "GB"',
    );
  }
  if (strings.length === 1)
    return make(Code.schemaEnum, `${name} must be ${quote(strings[0] ?? '')} (got ${got})`);
  const list =
    strings.length <= 12 ? `one of: ${strings.join(', ')}` : `one of ${strings.length} allowed values`;
  return make(Code.schemaEnum, `${name} must be ${list} (got ${got})`, path, 'value', guess);
}

function patternDiagnostic(
  pattern: string,
  value: unknown,
  path: PathSegment[],
  name: string,
  make: Make,
  ctx: SchemaErrorContext,
): Diagnostic {
  const got = describeValue(value, ctx.isSensitive(path));
  if (pattern === KEY_PATTERN) {
    const slug = typeof value === 'string' ? slugify(value) : '';
    return make(
      Code.schemaPattern,
      `${name} must be ${KEY_RULE} (got ${got})`,
      path,
      'value',
      slug && slug !== value && !ctx.isSensitive(path) ? `e.g. ${quote(slug)}` : undefined,
    );
  }
  return make(Code.schemaPattern, `${name} must match the pattern /${pattern}/ (got ${got})`);
}

function typeHint(expected: string[], value: unknown, sensitive: boolean): string | undefined {
  if (expected.includes('string') && (typeof value === 'number' || typeof value === 'boolean') && !sensitive)
    return `quote it to make it a string: "${String(value)}"`;
  if (expected.includes('array') && typeof value === 'string' && !sensitive)
    return `write a list, e.g. [${JSON.stringify(value)}]`;
  if (value === null) return 'the key has no value: give it one, or remove the key';
  return undefined;
}

/** Fields written at the wrong level: `labels` under spec, `urls` at the top, `steps` outside execution_plan. */
function misplacedHint(field: string, at: Path): string | undefined {
  const where = displayPath(at);
  const specFields: readonly string[] = TASK_SPEC_FIELDS;
  const metadataOnly = ['labels', 'previousNames', 'protect'];
  if (metadataOnly.includes(field) && where !== 'metadata') return `${quote(field)} belongs under metadata`;
  if (specFields.includes(field) && where !== 'spec' && field !== 'name')
    return `${quote(field)} belongs under spec`;
  if (field === 'steps' && where === 'spec') return '"steps" belongs under spec.execution_plan';
  return undefined;
}

function allowedProperties(parentSchema: unknown): string[] {
  if (typeof parentSchema !== 'object' || parentSchema === null) return [];
  const properties = (parentSchema as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
}

/** ajv's wording for the rarer keywords ("must be <= 10"), kept but made to read as a sentence. */
const humanize = (message: string): string => message.replace(/^must NOT/, 'must not');
