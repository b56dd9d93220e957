/**
 * The compiled manifest schema (`schemas/manifest.schema.json` with `task.schema.json`). Compiling it costs ~70 ms
 * at every start, so the bundle replaces this module with `manifestValidatorModule()`: the same validator,
 * precompiled by ajv when titan is built (scripts/build.mjs). Running from the sources (the tests) compiles it.
 */
import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import manifestSchema from '../../schemas/manifest.schema.json' with { type: 'json' };
import taskSchema from '../../schemas/task.schema.json' with { type: 'json' };

export function createManifestValidator(): ValidateFunction {
  return compile({}).validate;
}

/** An ES module exporting `createManifestValidator` with the validator as code: what the bundle holds. */
export function manifestValidatorModule(): string {
  const { ajv, validate } = compile({ code: { source: true, esm: true } });
  return `${standaloneCode.default(ajv, validate)}\nexport const createManifestValidator = () => validate;\n`;
}

function compile(extra: Options): { ajv: Ajv2020; validate: ValidateFunction } {
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, ...extra });
  ajv.addSchema(taskSchema, 'task.schema.json');
  return { ajv, validate: ajv.compile(manifestSchema) };
}
