/**
 * Turns JSON Schema validation errors (ajv-shaped) into diagnostics a person can act on: placed at the YAML
 * node, worded in YAML terms, with "did you mean" hints — never raw ajv text. Pure.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { valueAt } from '../json.js';
import { TASK_SPEC_FIELDS } from '../model.js';
import { Code } from './codes.js';
import { suggestCountryCode } from './countries.js';
import { describeValue, joinOr, jsonType, quote, slugify, typeName } from './describe.js';
import { displayPath, pathFromPointer, toPointer, type Path, type PathSegment } from './paths.js';
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

type Make = (
  code: string,
  message: string,
  at?: Path,
  mode?: 'key' | 'value',
  hint?: string,
  subject?: Path,
) => Diagnostic;

/** One failing keyword, with what every wording of it needs. */
interface Finding {
  error: SchemaError;
  ctx: SchemaErrorContext;
  /** Path of the failing value, from the validated value. */
  path: PathSegment[];
  value: unknown;
  /** How messages name the value (`spec.urls[0]`). */
  name: string;
  make: Make;
}

function toDiagnostic(error: SchemaError, ctx: SchemaErrorContext): Diagnostic | undefined {
  const path = pathFromPointer(ctx.root, error.instancePath);
  const make: Make = (code, message, at = path, mode = 'value', hint, subject = at) => ({
    code: ctx.code ?? code,
    severity: 'error',
    message,
    ...ctx.place(at, mode),
    path: toPointer([...ctx.basePath, ...subject]),
    ...(hint ? { hint } : {}),
  });
  const finding: Finding = {
    error,
    ctx,
    path,
    value: valueAt(ctx.root, path),
    name: displayPath([...ctx.basePath, ...path]),
    make,
  };
  const wording = WORDINGS[error.keyword];
  return wording
    ? wording(finding)
    : make(Code.schemaInvalid, `${finding.name} ${humanize(error.message ?? 'is invalid')}`);
}

/** The owner named in messages about the value's fields. */
const ownerName = ({ path, ctx, name }: Finding): string =>
  path.length + ctx.basePath.length === 0 ? 'the document' : name;

const WORDINGS: Readonly<Record<string, (finding: Finding) => Diagnostic>> = {
  required: (f) => {
    const missing = String(f.error.params.missingProperty);
    return f.make(
      Code.schemaRequired,
      `${ownerName(f)} is missing required field ${quote(missing)}`,
      f.path,
      'key',
      undefined,
      [...f.path, missing],
    );
  },
  additionalProperties: (f) => {
    const field = String(f.error.params.additionalProperty);
    const allowed = allowedProperties(f.error.parentSchema);
    const hint = misplacedHint(field, [...f.ctx.basePath, ...f.path]) ?? didYouMean(field, allowed);
    return f.make(
      Code.schemaUnknownField,
      `unknown field ${quote(field)} in ${ownerName(f)}`,
      [...f.path, field],
      'key',
      hint ?? (allowed.length > 0 ? `known fields: ${allowed.join(', ')}` : undefined),
    );
  },
  type: typeDiagnostic,
  enum: (f) => enumDiagnostic((f.error.params.allowedValues as unknown[] | undefined) ?? [], f),
  const: (f) => enumDiagnostic([f.error.params.allowedValue], f),
  pattern: (f) => patternDiagnostic(String(f.error.params.pattern), f),
  propertyNames: (f) => {
    const label = String(f.error.params.propertyName);
    return f.make(
      Code.schemaPattern,
      `label key ${quote(label)} in ${f.name} is not valid: use ${LABEL_RULE}`,
      [...f.path, label],
      'key',
    );
  },
  minItems: minimumDiagnostic,
  minLength: minimumDiagnostic,
  uniqueItems: (f) => {
    const i = Number(f.error.params.i);
    const j = Number(f.error.params.j);
    const [first, second] = i < j ? [i, j] : [j, i];
    const at = (index: number): string => displayPath([...f.ctx.basePath, ...f.path, index]);
    return f.make(
      Code.schemaDuplicateItem,
      `${at(second)} repeats ${at(first)}`,
      [...f.path, second],
      'value',
      'remove the duplicate',
    );
  },
  'false schema': (f) => f.make(Code.schemaUnknownField, `${f.name} is not allowed here`, f.path, 'key'),
};

function typeDiagnostic(f: Finding): Diagnostic {
  const expected = typesOf(f.error.params.type);
  const got = jsonType(f.value);
  const sensitive = f.ctx.isSensitive(f.path);
  const gotText = got === 'array' || got === 'object' ? typeName(got) : describeValue(f.value, sensitive);
  const wanted =
    expected.length === 1 && expected[0] === 'boolean' ? 'true or false' : joinOr(expected.map(typeName));
  return f.make(
    Code.schemaType,
    `${f.name} must be ${wanted} (got ${gotText})`,
    f.path,
    'value',
    f.path[f.path.length - 1] === 'items' && Array.isArray(f.value) && expected.includes('object')
      ? 'draft 2020-12 writes a tuple as prefixItems: [...]; items is one schema for every item'
      : typeHint(expected, f.value, sensitive),
  );
}

function minimumDiagnostic(f: Finding): Diagnostic {
  const limit = Number(f.error.params.limit);
  const unit = f.error.keyword === 'minItems' ? 'items' : 'characters';
  return limit <= 1
    ? f.make(Code.schemaEmpty, `${f.name} must not be empty`)
    : f.make(Code.schemaInvalid, `${f.name} must have at least ${limit} ${unit}`);
}

function enumDiagnostic(allowed: readonly unknown[], { value, path, name, make, ctx }: Finding): Diagnostic {
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

function patternDiagnostic(pattern: string, { value, path, name, make, ctx }: Finding): Diagnostic {
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
