/**
 * `--target` selectors: which tasks a targeted plan considers. Several selectors select the union.
 *   `product-prices` or `key=product-prices`   the task with that key (`*` matches any run of characters)
 *   `label:team=pricing`                        tasks whose manifest has that label (`*` allowed in the value)
 * A task matches through its key or, for a move, the key it is leaving. Tasks whose manifest was removed have no
 * labels any more, so only a key selector reaches their deletion.
 */
import { InvalidInputError } from '../errors.js';

export type TargetSelector =
  | { kind: 'key'; text: string; pattern: RegExp }
  | { kind: 'label'; text: string; name: string; pattern: RegExp };

export function parseTargetSelector(text: string): TargetSelector {
  const trimmed = text.trim();
  const label = /^label:([^=\s]+)=(.*)$/.exec(trimmed);
  if (label) return { kind: 'label', text: trimmed, name: label[1] ?? '', pattern: glob(label[2] ?? '') };
  const key = /^(?:key=)?([a-z0-9*][a-z0-9*-]*)$/.exec(trimmed);
  if (key) return { kind: 'key', text: trimmed, pattern: glob(key[1] ?? '') };
  throw new InvalidInputError(
    `Invalid --target "${text}".`,
    'Use a key (product-prices, key=product-*) or a label (label:team=pricing).',
  );
}

/** Does the task with `key` (and `labels`, when it has a manifest) match any selector? */
export function matchesAnyTarget(
  selectors: readonly TargetSelector[],
  key: string,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return selectors.some((selector) =>
    selector.kind === 'key'
      ? selector.pattern.test(key)
      : labels !== undefined &&
        labels[selector.name] !== undefined &&
        selector.pattern.test(labels[selector.name] ?? ''),
  );
}

function glob(text: string): RegExp {
  const source = text
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}
