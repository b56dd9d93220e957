import { digestOf } from '../json.js';
import type { TaskSpec } from '../model.js';
import { maskSensitive } from '../sensitive.js';

/**
 * Digest recorded in the lock for an applied spec. Sensitive values are masked first, so the lockfile reveals
 * nothing about them; a live spec is digested with the same paths to detect drift.
 */
export const digestSpec = (spec: TaskSpec, sensitivePaths: readonly string[] = []): string =>
  digestOf(maskSensitive(spec, sensitivePaths));
