/** Sensitive values (from `${env:…}`): masked in every output, excluded from digests, never persisted. */
import { isJsonObject, parsePointer, setOwn, type JsonValue } from './json.js';
import type { DesiredTask, TaskSpec } from './model.js';

/** What every output shows in place of a sensitive value. */
export const SENSITIVE = '(sensitive)';

/** A copy of `spec` with the value at each JSON pointer in `paths` replaced by `(sensitive)`. */
export function maskSensitive(spec: TaskSpec, paths: readonly string[]): TaskSpec {
  if (paths.length === 0) return spec;
  const copy = structuredClone(spec) as unknown as JsonValue;
  for (const pointer of paths) setAtPointer(copy, pointer, SENSITIVE);
  return copy as unknown as TaskSpec;
}

/** Is `pointer` at or below one of the sensitive paths? */
export const isSensitivePath = (pointer: string, paths: readonly string[]): boolean =>
  paths.some((p) => pointer === p || pointer.startsWith(`${p}/`));

/** Replaces an existing value; a pointer to nothing changes nothing. */
function setAtPointer(root: JsonValue, pointer: string, value: JsonValue): void {
  const tokens = parsePointer(pointer);
  let node: JsonValue | undefined = root;
  for (const [i, token] of tokens.entries()) {
    const last = i === tokens.length - 1;
    if (Array.isArray(node)) {
      const index = Number(token);
      if (!(index in node)) return;
      if (last) node[index] = value;
      else node = node[index];
    } else if (isJsonObject(node)) {
      if (!Object.hasOwn(node, token)) return;
      if (last) setOwn(node, token, value);
      else node = node[token];
    } else {
      return;
    }
  }
}

/** The values of a task's sensitive paths (the strings `${env:…}` produced): what the scrubber must know. */
export function sensitiveValuesOf(task: Pick<DesiredTask, 'spec' | 'sensitivePaths'>): string[] {
  const values: string[] = [];
  for (const pointer of task.sensitivePaths) {
    let node: JsonValue | undefined = task.spec as unknown as JsonValue;
    for (const token of parsePointer(pointer)) {
      node = Array.isArray(node) ? node[Number(token)] : isJsonObject(node) ? node[token] : undefined;
    }
    if (typeof node === 'string') values.push(node);
  }
  return values;
}
