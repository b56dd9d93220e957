/**
 * titan's own JSON Schemas, compiled: manifests (`manifest.schema.json` with `task.schema.json`), the lockfile and
 * saved plans. Compiling them costs 30–70 ms each, at every start (and apply reads the lockfile twice), so the
 * bundle replaces this module with `validatorsModule()`: the same validators, precompiled by ajv when titan is built
 * (scripts/build.mjs). Running from the sources (the tests) compiles each where it is asked for.
 */
import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import lockfileSchema from '../../schemas/lockfile.schema.json' with { type: 'json' };
import manifestSchema from '../../schemas/manifest.schema.json' with { type: 'json' };
import planSchema from '../../schemas/plan.schema.json' with { type: 'json' };
import taskSchema from '../../schemas/task.schema.json' with { type: 'json' };

const SCHEMAS = {
  manifest: manifestSchema,
  lockfile: lockfileSchema,
  plan: planSchema,
} as const;

type SchemaName = keyof typeof SCHEMAS;

export const createManifestValidator = (): ValidateFunction =>
  compile({}).getSchema('manifest') as ValidateFunction;
export const createLockfileValidator = (): ValidateFunction =>
  compile({}).getSchema('lockfile') as ValidateFunction;
export const createPlanValidator = (): ValidateFunction => compile({}).getSchema('plan') as ValidateFunction;

/** An ES module with the same three functions, returning validators held as code: what the bundle holds. */
export function validatorsModule(): string {
  const ajv = compile({ code: { source: true, esm: true } });
  const names = Object.keys(SCHEMAS) as SchemaName[];
  const code = standaloneCode.default(ajv, Object.fromEntries(names.map((name) => [name, name])));
  return `${code}
export const createManifestValidator = () => manifest;
export const createLockfileValidator = () => lockfile;
export const createPlanValidator = () => plan;
`;
}

/** One ajv holding every schema under its name; each is compiled when first asked for (or for standalone code). */
function compile(extra: Options): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, ...extra });
  ajv.addSchema(taskSchema, 'task.schema.json');
  for (const [name, schema] of Object.entries(SCHEMAS)) ajv.addSchema(schema, name);
  return ajv;
}
