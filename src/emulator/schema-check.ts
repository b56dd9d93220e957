/**
 * Does an `output_schema` compile as a JSON Schema? Checked with ajv like the service does: draft-07 by default,
 * 2020-12 when the schema says so; unknown keywords are allowed (strict: false), broken schemas are not.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { stableStringify, type JsonObject } from '../core/json.js';
import { isPlainSchema } from '../core/manifest/plain-schema.js';

/** Returns undefined when the schema compiles, else why not. */
export type SchemaChecker = (schema: JsonObject) => string | undefined;

const CACHE_LIMIT = 500;

export function createSchemaChecker(): SchemaChecker {
  const draft07 = new Ajv({ strict: false, allErrors: false, validateFormats: false });
  const draft2020 = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
  // Many tasks share one schema: remember verdicts by content so bulk creates do not recompile it each time.
  const verdicts = new Map<string, string | undefined>();
  return (schema) => {
    // A plain schema compiles in strict mode, so certainly here (src/core/manifest/plain-schema.ts): a bulk create
    // of thousands of distinct schemas does not pay a compile each.
    if (isPlainSchema(schema)) return undefined;
    const key = stableStringify(schema);
    if (verdicts.has(key)) return verdicts.get(key);
    const ajv = String(schema.$schema ?? '').includes('2020-12') ? draft2020 : draft07;
    let verdict: string | undefined;
    try {
      ajv.compile(schema);
    } catch (error) {
      verdict = error instanceof Error ? error.message : String(error);
    } finally {
      ajv.removeSchema(schema);
    }
    if (verdicts.size >= CACHE_LIMIT) verdicts.delete(verdicts.keys().next().value as string);
    verdicts.set(key, verdict);
    return verdict;
  };
}
