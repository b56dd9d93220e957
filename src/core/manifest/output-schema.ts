/**
 * Does an output schema compile as a JSON Schema under ajv strict mode? Findings point inside the manifest (or
 * the referenced schema file), at the offending keyword: meta-schema errors by their path, unknown keywords,
 * bad regular expressions and unknown formats by walking the schema, and what compiling reports by the path in
 * its message (or the keyword it names). Pure: the schema engine is passed in.
 */
import type { Diagnostic, SourceLocation } from '../diagnostics.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import { displayPath, pathFromPointer, toPointer, valueAt, type Path, type PathSegment } from './paths.js';
import { diagnosticsFromSchemaErrors } from './schema-errors.js';
import { DRAFT_07, DRAFT_2020_12, dialectOf, type ManifestSchemas } from './schema-port.js';
import { visitSchemas } from './schema-walk.js';
import { didYouMean } from './suggest.js';

export interface OutputSchemaSite {
  /** Where the schema sits in the manifest document (`['spec', 'output_schema']`). */
  path: Path;
  /** Source location of a path inside the (bundled) schema. */
  place(path: Path, mode: 'key' | 'value'): SourceLocation;
  /** True when the value at a path inside the schema came from the environment. */
  isSensitive(path: Path): boolean;
}

/** Keywords ajv accepts without listing them as rules. */
const ALWAYS_KNOWN = new Set([
  '$anchor',
  '$dynamicAnchor',
  '$vocabulary',
  '$id',
  '$schema',
  '$comment',
  '$defs',
  'definitions',
]);

export function checkOutputSchema(
  schema: JsonValue,
  site: OutputSchemaSite,
  engine: ManifestSchemas,
): Diagnostic[] {
  if (!isJsonObject(schema)) return [];
  const name = (path: Path): string => displayPath([...site.path, ...path]);
  const make = (
    path: Path,
    message: string,
    mode: 'key' | 'value' = 'key',
    hint?: string,
    severity: 'error' | 'warning' = 'error',
  ): Diagnostic => ({
    code: severity === 'error' ? Code.outputSchemaInvalid : Code.outputSchemaStrict,
    severity,
    message,
    ...site.place(path, mode),
    path: toPointer([...site.path, ...path]),
    ...(hint ? { hint } : {}),
  });

  if (dialectOf(schema) === undefined) {
    return [
      make(
        ['$schema'],
        `${name(['$schema'])} must be ${quote(DRAFT_2020_12)} (the default) or ${quote(`${DRAFT_07}#`)}`,
        'value',
        'or remove $schema: titan checks output schemas as draft 2020-12',
      ),
    ];
  }

  // Meta-schema errors and what the walk finds are independent: report both at once. Compiling needs both clean.
  const meta = diagnosticsFromSchemaErrors(engine.validateMetaSchema(schema), {
    root: schema,
    basePath: site.path,
    place: site.place,
    isSensitive: site.isSensitive,
    code: Code.outputSchemaInvalid,
  });
  const walked = walkForProblems(schema, engine, make, name);
  if (meta.length > 0 || walked.length > 0) return [...meta, ...walked];

  const outcome = engine.compileOutputSchema(schema);
  const out: Diagnostic[] = [];
  if (outcome.error) out.push(compileErrorDiagnostic(schema, outcome.error, make, name));
  const seen = new Set<string>();
  for (const line of outcome.warnings) {
    const text = line.replace(/^strict mode: /, '');
    if (seen.has(text) || /^unknown keyword/.test(text)) continue;
    seen.add(text);
    const strictOnly =
      /\((strictTypes|strictTuples|strictRequired)\)$/.test(text) || /is \d+-tuple/.test(text);
    const path = locateMessage(schema, text);
    out.push(
      make(path, `${name(path)}: ${cleanMessage(text)}`, 'key', undefined, strictOnly ? 'warning' : 'error'),
    );
  }
  return out;
}

type Make = (
  path: Path,
  message: string,
  mode?: 'key' | 'value',
  hint?: string,
  severity?: 'error' | 'warning',
) => Diagnostic;

/** Problems ajv would report one at a time (or without a place): every one of them, each at its keyword. */
function walkForProblems(
  schema: JsonObject,
  engine: ManifestSchemas,
  make: Make,
  name: (path: Path) => string,
): Diagnostic[] {
  const known = engine.keywordsFor(schema);
  const candidates = [...known].filter((k) => !k.startsWith('$') || k === '$ref' || k === '$defs');
  const out: Diagnostic[] = [];
  visitSchemas(schema, (node, path) => {
    for (const [keyword, value] of Object.entries(node)) {
      const at: PathSegment[] = [...path, keyword];
      if (!known.has(keyword) && !ALWAYS_KNOWN.has(keyword)) {
        out.push(
          make(
            at,
            `unknown JSON Schema keyword ${quote(keyword)} in ${name(path)}`,
            'key',
            didYouMean(keyword, candidates) ??
              'ajv strict mode rejects unknown keywords; use a known keyword, or put notes in "description" or "$comment"',
          ),
        );
      } else if (keyword === 'pattern' && typeof value === 'string') {
        const problem = regexProblem(value);
        if (problem) out.push(make(at, `${name(at)} is not a valid regular expression: ${problem}`, 'value'));
      } else if (keyword === 'patternProperties' && isJsonObject(value)) {
        for (const pattern of Object.keys(value)) {
          const problem = regexProblem(pattern);
          if (problem)
            out.push(
              make(
                [...at, pattern],
                `${quote(pattern)} in ${name(at)} is not a valid regular expression: ${problem}`,
                'key',
              ),
            );
        }
      } else if (keyword === 'format' && typeof value === 'string' && !engine.formats.has(value)) {
        const formats = [...engine.formats];
        out.push(
          make(
            at,
            `${name(at)}: unknown format ${quote(value)}`,
            'value',
            didYouMean(value, formats) ?? `known formats: ${formats.join(', ')}`,
          ),
        );
      }
    }
  });
  return out;
}

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

function compileErrorDiagnostic(
  schema: JsonObject,
  error: { message: string; missingRef?: string },
  make: Make,
  name: (path: Path) => string,
): Diagnostic {
  if (error.missingRef !== undefined) {
    const at = findRef(schema, error.missingRef);
    const remote = /^[a-z][a-z0-9+.-]*:/i.test(error.missingRef);
    return make(
      at ? [...at, '$ref'] : [],
      `${at ? name([...at, '$ref']) : name([])}: $ref ${quote(error.missingRef)} cannot be resolved`,
      'value',
      remote
        ? 'titan does not fetch remote schemas: copy it into the workspace and refer to it by relative path'
        : 'point it at an existing subschema, e.g. "#/$defs/name"',
    );
  }
  const path = locateMessage(schema, error.message);
  return make(path, `${name(path)} does not compile: ${cleanMessage(error.message)}`);
}

/** The subschema whose `$ref` is `ref` (ajv reports the resolved form, so compare both). */
function findRef(schema: JsonObject, ref: string): PathSegment[] | undefined {
  let found: PathSegment[] | undefined;
  visitSchemas(schema, (node, path) => {
    if (
      found === undefined &&
      typeof node.$ref === 'string' &&
      (node.$ref === ref || ref.endsWith(node.$ref))
    )
      found = path;
  });
  return found;
}

/**
 * Where an ajv message is about: its `at "#/…"` / `at path "#/…"` pointer, else the first subschema holding
 * the keyword it quotes, else the schema root.
 */
function locateMessage(schema: JsonObject, message: string): PathSegment[] {
  const pointer = /at (?:path )?"#([^"]*)"/.exec(message);
  if (pointer) {
    const path = pathFromPointer(schema, pointer[1] ?? '');
    const keyword = /keyword "([^"]+)"/.exec(message)?.[1];
    const node = valueAt(schema, path);
    return keyword !== undefined && isJsonObject(node) && keyword in node ? [...path, keyword] : path;
  }
  const keyword = /"([^"]+)"/.exec(message)?.[1];
  if (keyword !== undefined) {
    let found: PathSegment[] | undefined;
    visitSchemas(schema, (node, path) => {
      if (found === undefined && keyword in node) found = [...path, keyword];
    });
    if (found) return found;
  }
  return [];
}

/** ajv's message without the schema path (the diagnostic already points there). */
const cleanMessage = (message: string): string =>
  message
    .replace(/ at (?:path )?"#[^"]*"/, '')
    .replace(/ \((strictTypes|strictTuples|strictRequired)\)$/, ' ($1)')
    .replace(/ in schema$/, '');
