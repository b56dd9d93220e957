/**
 * The plan as JSON: exactly the `Plan` object, keys sorted at every depth, two-space indented, one trailing
 * newline — what `--format json` prints and `--out FILE` saves. It validates against `schemas/plan.schema.json` and
 * holds no sensitive value (the planner masked them). Pure.
 */
import { stableStringify } from '../core/json.js';
import type { Plan } from '../core/plan/model.js';

export const renderPlanJson = (plan: Plan): string => `${stableStringify(plan, 2)}\n`;
