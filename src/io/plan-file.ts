/**
 * Reading a plan saved by `titan plan --out FILE`: JSON, checked against `schemas/plan.schema.json`. A file that
 * is not a titan plan is invalid input (exit 3); whether it is still current is decided by the apply.
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import planSchema from '../../schemas/plan.schema.json' with { type: 'json' };
import { InvalidInputError } from '../core/errors.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../core/plan/model.js';

const REPLAN_HINT = 'Make a new one with: titan plan --out FILE';

export async function readPlanFile(file: string): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidInputError(
      code === 'ENOENT'
        ? `Plan file ${file} does not exist.`
        : `Cannot read the plan file ${file}: ${(error as Error).message}`,
    );
  }
  return parsePlanFile(text, file);
}

export function parsePlanFile(text: string, name: string): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `${name} is not a saved titan plan: it is not JSON (${(error as Error).message}).`,
      REPLAN_HINT,
    );
  }
  const version = (data as { format_version?: unknown } | null)?.format_version;
  if (typeof version === 'number' && version !== PLAN_FORMAT_VERSION) {
    throw new InvalidInputError(
      `${name} is a plan of format version ${version}; this titan applies version ${PLAN_FORMAT_VERSION}.`,
      REPLAN_HINT,
    );
  }
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const validate = ajv.compile<unknown>(planSchema as object);
  if (!validate(data)) {
    const problems = (validate.errors ?? []).slice(0, 5).map(describe).join('; ');
    throw new InvalidInputError(`${name} is not a valid saved titan plan: ${problems}.`, REPLAN_HINT);
  }
  return data as Plan;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'top level' : error.instancePath;
  if (error.keyword === 'additionalProperties') {
    return `${where}: unknown property "${String(error.params.additionalProperty)}"`;
  }
  if (error.keyword === 'required') return `${where}: missing "${String(error.params.missingProperty)}"`;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** Does `file` look like a saved plan rather than a manifest (so `titan apply FILE` knows what it got)? */
export function looksLikePlanFile(file: string): boolean {
  return !/\.ya?ml$/i.test(file);
}
