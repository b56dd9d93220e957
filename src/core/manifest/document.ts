/**
 * One manifest document, from parsed YAML to a `DesiredTask`: interpolation, schema check, task rules, `$ref`
 * bundling and output schema checks, then normalisation. Pure (files referenced by `$ref` come from a reader).
 */
import { hasErrors, type Diagnostic, type SourceLocation } from '../diagnostics.js';
import { isJsonObject, valueAt, type JsonObject, type JsonValue } from '../json.js';
import { SENSITIVE } from '../sensitive.js';
import { TASK_SPEC_FIELDS, type DesiredTask, type TaskSpec, type TaskSpecField } from '../model.js';
import { Code } from './codes.js';
import type { CronProblem } from './cron.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { checkOutputSchema } from './output-schema.js';
import { startsWithPath, toPointer, type Path, type PathSegment } from './paths.js';
import { bundleSchema, type RefContext, type Region } from './refs.js';
import { checkTaskRules } from './rules.js';
import { diagnosticsFromSchemaErrors } from './schema-errors.js';
import type { ManifestSchemas } from './schema-port.js';
import { closest } from './suggest.js';
import type { Locator, ParsedDocument, Position } from './yaml.js';

export interface DocumentContext {
  /** Absolute path of the manifest file (relative `$ref`s resolve from its folder). */
  absFile: string;
  env: Env;
  schemas: ManifestSchemas;
  refs: RefContext;
  /** Schedules already checked in this load. */
  cronVerdicts?: Map<string, CronProblem | undefined>;
}

/** What cross-document checks need: the key and previous names, with their places. */
export interface TaskIdentity {
  key: string;
  at: SourceLocation;
  previousNames: { name: string; at: SourceLocation; index: number }[];
}

export interface CheckedDocument {
  /** Present when the document has no error of its own. */
  task?: DesiredTask;
  diagnostics: Diagnostic[];
  identity?: TaskIdentity;
  /** Absolute paths of files referenced by `$ref`. */
  refFiles: string[];
}

export function checkManifestDocument(doc: ParsedDocument, ctx: DocumentContext): CheckedDocument {
  const { locator } = doc;
  const place = (path: Path, mode: 'key' | 'value'): SourceLocation => ({
    file: locator.file,
    ...locator.at(path, mode),
  });
  if (doc.value === undefined) return { diagnostics: [], refFiles: [] };

  const interpolated = interpolateDocument(doc.value, ctx.env, locator);
  const sensitive = new Set(interpolated.sensitive.map(toPointer));
  const unresolved = new Set(interpolated.unresolved.map(toPointer));
  const isSensitive = (path: Path): boolean => sensitive.has(toPointer(path));
  const value = interpolated.value;
  const diagnostics: Diagnostic[] = [...interpolated.diagnostics];
  const add = (found: readonly Diagnostic[]): void => {
    for (const d of found) diagnostics.push(d);
  };

  add(
    diagnosticsFromSchemaErrors(ctx.schemas.validateManifest(value), {
      root: value,
      basePath: [],
      place,
      isSensitive,
      dropLayoutRules: true,
    }),
  );

  const spec = isJsonObject(value) && isJsonObject(value.spec) ? value.spec : undefined;
  let schemas: CheckedSchemas = { bundled: new Map(), refFiles: [], diagnostics: [] };
  if (spec) {
    add(
      checkTaskRules({
        spec,
        place,
        placeInValue: (path, offset) => ({ file: locator.file, ...locator.inValue(path, offset) }),
        isSensitive,
        isUnresolved: (path) => unresolved.has(toPointer(path)),
        ...(ctx.cronVerdicts ? { cronVerdicts: ctx.cronVerdicts } : {}),
      }),
    );
    schemas = checkOutputSchemas(value, spec, {
      ctx,
      locator,
      place,
      isSensitive,
      unresolved: interpolated.unresolved,
    });
    add(schemas.diagnostics);
  }

  const identity = identityOf(value, place);
  const reported = redactSecrets(withoutTypoEchoes(diagnostics), interpolated.secrets);
  const task =
    !hasErrors(reported) && spec && isJsonObject(value)
      ? desiredTask(value, spec, schemas.bundled, interpolated.sensitive, locator)
      : undefined;
  return {
    ...(task ? { task } : {}),
    diagnostics: reported,
    ...(identity ? { identity } : {}),
    refFiles: schemas.refFiles,
  };
}

interface CheckedSchemas {
  /** Bundled output schemas by the JSON pointer of their place in the document. */
  bundled: Map<string, JsonValue>;
  refFiles: string[];
  diagnostics: Diagnostic[];
}

/** Bundles each output schema's `$ref`s and checks that it compiles. */
function checkOutputSchemas(
  document: JsonValue,
  spec: JsonObject,
  site: {
    ctx: DocumentContext;
    locator: Locator;
    place: (path: Path, mode: 'key' | 'value') => SourceLocation;
    isSensitive: (path: Path) => boolean;
    unresolved: readonly Path[];
  },
): CheckedSchemas {
  const { ctx, locator, place, isSensitive } = site;
  const out: CheckedSchemas = { bundled: new Map(), refFiles: [], diagnostics: [] };
  for (const schemaPath of outputSchemaPaths(spec)) {
    const schema = valueAt(document, schemaPath);
    if (!isJsonObject(schema) || site.unresolved.some((u) => startsWithPath(u, schemaPath))) continue;
    const bundled = bundleSchema(
      schema,
      { absFile: ctx.absFile, locator, path: schemaPath, isSensitive },
      ctx.refs,
    );
    for (const file of bundled.files) out.refFiles.push(file);
    for (const d of bundled.diagnostics) out.diagnostics.push(d);
    if (bundled.diagnostics.length > 0) continue;
    out.bundled.set(toPointer(schemaPath), bundled.schema);
    const found = checkOutputSchema(
      bundled.schema,
      {
        path: schemaPath,
        place: placeInBundle(bundled.regions, schemaPath, place),
        isSensitive: (path) => isSensitive([...schemaPath, ...path]),
      },
      ctx.schemas,
    );
    for (const d of found) out.diagnostics.push(d);
  }
  return out;
}

/** Secrets shorter than this are left alone: replacing them would garble ordinary words. */
const MIN_REDACTED = 4;

/**
 * The last guard for `${env:…}` values: whatever a message or hint quotes (a library's wording, a path), no
 * value from the environment reaches the output. Each check already says "(sensitive)" on its own.
 */
function redactSecrets(diagnostics: Diagnostic[], secrets: readonly string[]): Diagnostic[] {
  const long = [...new Set(secrets.filter((s) => s.length >= MIN_REDACTED))].sort(
    (a, b) => b.length - a.length,
  );
  if (long.length === 0) return diagnostics;
  const scrub = (text: string): string =>
    long.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join(SENSITIVE) : out), text);
  return diagnostics.map((d) => ({
    ...d,
    message: scrub(d.message),
    ...(d.hint !== undefined ? { hint: scrub(d.hint) } : {}),
  }));
}

/**
 * A misspelt required field is one mistake: keep "unknown field "objetive" (did you mean "objective"?)" and drop
 * the "missing required field "objective"" it causes.
 */
function withoutTypoEchoes(diagnostics: Diagnostic[]): Diagnostic[] {
  const unknown = diagnostics.filter((d) => d.code === Code.schemaUnknownField && d.path !== undefined);
  if (unknown.length === 0) return diagnostics;
  return diagnostics.filter((d) => {
    if (d.code !== Code.schemaRequired || d.path === undefined) return true;
    const missing = parentAndName(d.path);
    return !unknown.some((u) => {
      const typo = parentAndName(u.path as string);
      return typo.parent === missing.parent && closest(typo.name, [missing.name]) !== undefined;
    });
  });
}

function parentAndName(pointer: string): { parent: string; name: string } {
  const slash = pointer.lastIndexOf('/');
  return { parent: pointer.slice(0, slash), name: pointer.slice(slash + 1) };
}

/** Where output schemas are: the task's, and each execution plan step's. */
function outputSchemaPaths(spec: JsonObject): PathSegment[][] {
  const paths: PathSegment[][] = [['spec', 'output_schema']];
  const plan = spec.execution_plan;
  if (isJsonObject(plan) && Array.isArray(plan.steps)) {
    plan.steps.forEach((_, i) => paths.push(['spec', 'execution_plan', 'steps', i, 'output_schema']));
  }
  return paths;
}

/** Places a path of a bundled schema: in the referenced file it came from, else in the manifest. */
function placeInBundle(
  regions: Region[],
  schemaPath: Path,
  place: (path: Path, mode: 'key' | 'value') => SourceLocation,
): (path: Path, mode: 'key' | 'value') => SourceLocation {
  return (path, mode) => {
    let best: Region | undefined;
    for (const region of regions) {
      if (startsWithPath(path, region.at) && (!best || region.at.length >= best.at.length)) best = region;
    }
    if (!best) return place([...schemaPath, ...path], mode);
    return { file: best.file, ...best.locator.at([...best.filePath, ...path.slice(best.at.length)], mode) };
  };
}

function identityOf(
  value: JsonValue,
  place: (path: Path, mode: 'key' | 'value') => SourceLocation,
): TaskIdentity | undefined {
  if (!isJsonObject(value) || !isJsonObject(value.metadata) || typeof value.metadata.name !== 'string')
    return undefined;
  const previous = Array.isArray(value.metadata.previousNames) ? value.metadata.previousNames : [];
  return {
    key: value.metadata.name,
    at: place(['metadata', 'name'], 'value'),
    previousNames: previous.flatMap((name, index) =>
      typeof name === 'string'
        ? [{ name, index, at: place(['metadata', 'previousNames', index], 'value') }]
        : [],
    ),
  };
}

function desiredTask(
  document: JsonObject,
  spec: JsonObject,
  bundled: Map<string, JsonValue>,
  sensitive: Path[],
  locator: Locator,
): DesiredTask {
  const metadata = document.metadata as JsonObject;
  const key = metadata.name as string;
  const normalized: Record<string, JsonValue> = { name: typeof spec.name === 'string' ? spec.name : key };
  for (const field of TASK_SPEC_FIELDS) {
    if (field === 'name') continue;
    const fieldValue =
      field === 'output_schema' ? (bundled.get('/spec/output_schema') ?? spec[field]) : spec[field];
    if (fieldValue !== undefined) normalized[field] = fieldValue;
  }
  const plan = normalized.execution_plan;
  if (isJsonObject(plan) && Array.isArray(plan.steps)) {
    normalized.execution_plan = {
      ...plan,
      steps: plan.steps.map((step, i) => {
        const schema = bundled.get(`/spec/execution_plan/steps/${i}/output_schema`);
        return schema !== undefined && isJsonObject(step) ? { ...step, output_schema: schema } : step;
      }),
    };
  }
  return {
    key,
    spec: normalized as unknown as TaskSpec,
    labels: { ...((metadata.labels as Record<string, string> | undefined) ?? {}) },
    previousNames: [...((metadata.previousNames as string[] | undefined) ?? [])],
    protect: metadata.protect === true,
    source: { file: locator.file, line: locator.start.line, column: locator.start.column },
    fieldSources: fieldSourcesOf(spec, locator),
    sensitivePaths: sensitive
      .filter((p) => p[0] === 'spec')
      .map((p) => toPointer(p.slice(1)))
      .sort(),
  };
}

/** The key position of every spec field the document writes (what a plan annotates when that field changes). */
function fieldSourcesOf(spec: JsonObject, locator: Locator): Partial<Record<TaskSpecField, Position>> {
  const sources: Partial<Record<TaskSpecField, Position>> = {};
  for (const field of TASK_SPEC_FIELDS) {
    if (spec[field] !== undefined) sources[field] = locator.at(['spec', field], 'key');
  }
  return sources;
}
