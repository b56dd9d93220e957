/**
 * The JSON Schema engine: ajv, compiled here once per process and passed around (no module state). Validates
 * manifests against `schemas/manifest.schema.json` and checks users' output schemas: meta-schema (draft 2020-12,
 * or draft-07 when declared) and compilation in strict mode, with strict findings collected rather than thrown.
 */
import { Ajv, type Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { stableStringify, type JsonObject, type JsonValue } from '../core/json.js';
import {
  dialectOf,
  type CompileOutcome,
  type ManifestSchemas,
  type SchemaError,
} from '../core/manifest/schema-port.js';
import { createManifestValidator } from './validators.js';

/** Verdicts are remembered by schema content: many tasks share one output schema. */
const CACHE_LIMIT = 500;

export function createManifestSchemas(): ManifestSchemas {
  const validateManifest = createManifestValidator();

  // Strict findings are logged (not thrown) so one compilation reports all of them, every one an error for the
  // manifest; `sink` collects a call's lines.
  let sink: string[] = [];
  const logger = {
    log: () => {},
    warn: (...args: unknown[]) => sink.push(args.map(String).join(' ')),
    error: (...args: unknown[]) => sink.push(args.map(String).join(' ')),
  };
  const options: Options = {
    allErrors: true,
    verbose: true,
    // These validators are compiled to be checked (do they compile, what do strict checks find), never run:
    // skipping ajv's code optimisation roughly halves the compile time of a large workspace.
    code: { optimize: false },
    strictSchema: 'log',
    strictTypes: 'log',
    strictTuples: 'log',
    strictRequired: 'log',
    logger,
  };
  const engines = { '2020-12': new Ajv2020(options), 'draft-07': new Ajv(options) };
  for (const engine of Object.values(engines)) addFormats.default(engine);
  const keywords = {
    '2020-12': new Set(Object.keys(engines['2020-12'].RULES.keywords)),
    'draft-07': new Set(Object.keys(engines['draft-07'].RULES.keywords)),
  };
  const formats = new Set(Object.keys(engines['2020-12'].formats));
  const engineFor = (schema: JsonObject): Ajv => engines[dialectOf(schema) ?? '2020-12'];

  const metaCache = new Map<string, SchemaError[]>();
  const compileCache = new Map<string, CompileOutcome>();

  return {
    validateManifest(document: JsonValue): SchemaError[] {
      validateManifest(document);
      return (validateManifest.errors ?? []).map(toSchemaError);
    },
    validateMetaSchema(schema: JsonObject): SchemaError[] {
      return remember(metaCache, stableStringify(schema), () => {
        try {
          engineFor(schema).validateSchema(schema);
          return (engineFor(schema).errors ?? []).map(toSchemaError);
        } catch (error) {
          return [
            { instancePath: '', schemaPath: '#', keyword: 'meta', params: {}, message: errorMessage(error) },
          ];
        }
      });
    },
    compileOutputSchema(schema: JsonObject): CompileOutcome {
      return remember(compileCache, stableStringify(schema), () => {
        sink = [];
        const error = compileError(engineFor(schema), schema);
        const warnings = sink;
        sink = [];
        return { ...(error ? { error } : {}), warnings };
      });
    },
    keywordsFor: (schema) => keywords[dialectOf(schema) ?? '2020-12'],
    formats,
  };
}

/** Compiles `schema` once to see whether it compiles, leaving `ajv` as it was. */
function compileError(ajv: Ajv, schema: JsonObject): CompileOutcome['error'] {
  try {
    ajv.compile(schema);
    return undefined;
  } catch (thrown) {
    const missingRef = (thrown as { missingRef?: unknown }).missingRef;
    return {
      message: errorMessage(thrown),
      ...(typeof missingRef === 'string' ? { missingRef } : {}),
      // ajv recurses without end on a subschema that is only a $ref to itself.
      ...(thrown instanceof RangeError ? { overflow: true } : {}),
    };
  } finally {
    try {
      ajv.removeSchema(schema);
    } catch {
      // Nothing was registered (compilation failed before adding it).
    }
  }
}

function remember<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = compute();
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, value);
  return value;
}

/** A copy holding only what `SchemaError` names (ajv's error objects carry more). */
function toSchemaError(error: SchemaError): SchemaError {
  return {
    instancePath: error.instancePath,
    schemaPath: error.schemaPath,
    keyword: error.keyword,
    params: error.params,
    ...(error.message !== undefined ? { message: error.message } : {}),
    ...(error.parentSchema !== undefined ? { parentSchema: error.parentSchema } : {}),
  };
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
