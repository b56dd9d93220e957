/**
 * Checking records against a task's `output_schema` (ajv, as the manifest checks compile it: draft 2020-12, or
 * draft-07 when declared, with ajv-formats). The schema arrives bundled — its relative `$ref`s resolved exactly as
 * apply sends it — so nothing is looked up elsewhere. Compiled once per distinct schema; one engine per process.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { RecordError } from '../core/evidence/violations.js';
import { stableStringify, type JsonObject } from '../core/json.js';
import { dialectOf } from '../core/manifest/schema-port.js';

export type RecordValidator = (record: unknown) => RecordError[];

export interface RecordSchemas {
  /** A validator for `schema`; throws `Error` when the schema does not compile (the manifest check says why). */
  validatorFor(schema: JsonObject): RecordValidator;
}

export function createRecordSchemas(): RecordSchemas {
  // Records are data, not schemas: strict mode would only repeat what `titan validate` reports.
  const options: Options = { allErrors: true, verbose: true, strict: false };
  const engines = { '2020-12': new Ajv2020(options), 'draft-07': new Ajv(options) };
  for (const engine of Object.values(engines)) addFormats.default(engine);
  const compiled = new Map<string, ValidateFunction>();
  return {
    validatorFor(schema) {
      const id = stableStringify(schema);
      let validate = compiled.get(id);
      if (validate === undefined) {
        validate = compileFresh(engines[dialectOf(schema) ?? '2020-12'], schema);
        compiled.set(id, validate);
      }
      const check = validate;
      return (record) => (check(record) ? [] : (check.errors ?? []).map(toRecordError));
    },
  };
}

/** Two different schemas may declare the same `$id`: the engine keeps one per id, so the older one goes. */
function compileFresh(engine: Ajv, schema: JsonObject): ValidateFunction {
  if (typeof schema.$id === 'string' && engine.getSchema(schema.$id) !== undefined)
    engine.removeSchema(schema.$id);
  return engine.compile(schema);
}

const toRecordError = (error: ErrorObject): RecordError => ({
  instancePath: error.instancePath,
  keyword: error.keyword,
  params: error.params as Record<string, unknown>,
  ...(error.message !== undefined ? { message: error.message } : {}),
  ...(error.data !== undefined ? { data: error.data } : {}),
});
