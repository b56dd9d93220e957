/**
 * Reading a plan saved by `titan plan --out FILE`: JSON, checked against `schemas/plan.schema.json`. A file that
 * is not a titan plan is invalid input (exit 3); whether it is still current is decided by the apply.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../core/errors.js';
import { PLAN_FORMAT_VERSION, type Plan } from '../core/plan/model.js';
import { describeSchemaError } from './lockfile.js';
import { createPlanValidator } from './validators.js';

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
  const validate = createPlanValidator();
  if (!validate(data)) {
    const problems = (validate.errors ?? []).slice(0, 5).map(describeSchemaError).join('; ');
    throw new InvalidInputError(`${name} is not a valid saved titan plan: ${problems}.`, REPLAN_HINT);
  }
  return data as Plan;
}
