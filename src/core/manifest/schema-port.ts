/**
 * What the manifest core needs from a JSON Schema engine. The io layer implements it with ajv (compiled once per
 * process); the core stays pure and maps the engine's findings to diagnostics with positions.
 */
import type { JsonObject, JsonValue } from '../json.js';

/** One validation error, shaped like ajv's `ErrorObject` (with `verbose: true`). */
export interface SchemaError {
  /** JSON pointer into the validated value. */
  instancePath: string;
  /** Where in the schema the failing keyword is (`#/properties/spec/...`). */
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** The schema object holding the failing keyword (gives the allowed properties of a mapping). */
  parentSchema?: unknown;
}

/** What compiling a user's JSON Schema produced. */
export interface CompileOutcome {
  /**
   * The error that stopped compilation, if any; `overflow` when compiling recursed without end (a subschema that
   * is only a `$ref` to itself).
   */
  error?: { message: string; missingRef?: string; overflow?: boolean };
  /** Strict-mode findings logged while compiling (ajv's "strict mode: …" lines). */
  warnings: string[];
}

export interface ManifestSchemas {
  /** Validates a manifest document against `schemas/manifest.schema.json` (all errors). */
  validateManifest(document: JsonValue): SchemaError[];
  /** Validates a user's output schema against the meta-schema of its dialect (all errors). */
  validateMetaSchema(schema: JsonObject): SchemaError[];
  /** Compiles a user's output schema in strict mode. Call only when the meta-schema check passed. */
  compileOutputSchema(schema: JsonObject): CompileOutcome;
  /** Every keyword the engine knows in the schema's dialect. */
  keywordsFor(schema: JsonObject): ReadonlySet<string>;
  /** Every `format` the engine knows. */
  readonly formats: ReadonlySet<string>;
}

export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';
export const DRAFT_07 = 'http://json-schema.org/draft-07/schema';

export type Dialect = '2020-12' | 'draft-07';

/**
 * The dialect an output schema declares with `$schema`: draft 2020-12 when absent, draft-07 when it says so,
 * undefined for anything else (titan checks only these two).
 */
export function dialectOf(schema: JsonObject): Dialect | undefined {
  const declared = schema.$schema;
  if (declared === undefined) return '2020-12';
  if (typeof declared !== 'string') return undefined;
  const uri = declared.replace(/#$/, '');
  if (uri === DRAFT_2020_12) return '2020-12';
  if (uri === DRAFT_07) return 'draft-07';
  return undefined;
}
