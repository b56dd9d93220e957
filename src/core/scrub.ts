/**
 * The one scrubber of sensitive values: every text titan prints or writes for people passes through it, fed with
 * every value titan knows to be sensitive (the token, every `${env:…}` value of the manifests it read). Pure: the
 * values are data, and `compileScrubber` turns them into a function of text.
 *
 * Replacing a value by plain substring would garble text when the value is short (a one-letter token would blank
 * every such letter of a trace), so how a value is recognised depends on its length:
 * - 8 characters or more: wherever it appears, even inside a longer word (a secret that long does not occur in
 *   titan's own words by chance, and a secret glued to other text is still a secret);
 * - 3 to 7 characters: where it stands as a token of its own — not joined to a letter, digit or `_`, nor to one
 *   through a `.` or `-` (so `ab1` is scrubbed in `key=ab1&x` or `"ab1"`, not in `tab1e` or `ab1.yaml`);
 * - 1 or 2 characters: only as the whole of a quoted string (`"ab"`, as JSON, YAML and service messages quote
 *   values), since as a bare token it is indistinguishable from ordinary text (`1 to create`).
 * Each value is also recognised in the forms that output escapes it into: JSON string escaping and URL encoding.
 */

/** What outputs show in place of a sensitive value, and in place of the token. */
export const SENSITIVE_LABEL = '(sensitive)';
export const TOKEN_LABEL = '(redacted)';

/** From this length on a value is scrubbed wherever it appears. */
export const MIN_ANYWHERE = 8;
/** From this length on a value is scrubbed where it stands as a token; shorter ones only when quoted whole. */
export const MIN_TOKEN = 3;

export type Scrub = (text: string) => string;

/** The identity scrubber, for callers that know no sensitive value. */
export const noScrub: Scrub = (text) => text;

const WORD = String.raw`[\p{L}\p{N}_]`;
const BEFORE_GUARD = String.raw`(?<!${WORD}|${WORD}[.\-])`;
const AFTER_GUARD = String.raw`(?!${WORD}|[.\-]${WORD})`;
const IS_WORD = new RegExp(`^${WORD}$`, 'u');

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The forms a value takes in output: as written, JSON-escaped and URL-encoded, each also without edge spaces. */
function formsOf(value: string): string[] {
  const forms = new Set<string>();
  for (const base of [value, value.trim()]) {
    if (base === '') continue;
    forms.add(base);
    forms.add(JSON.stringify(base).slice(1, -1));
    forms.add(encodeURIComponent(base));
  }
  return [...forms];
}

/** The pattern of one form: anywhere, as a token, or as a whole quoted string (see the module comment). */
function patternOf(form: string): string {
  const chars = [...form];
  const escaped = escapeRegExp(form);
  if (chars.length >= MIN_ANYWHERE) return escaped;
  if (chars.length >= MIN_TOKEN) {
    const before = IS_WORD.test(chars[0] as string) ? BEFORE_GUARD : '';
    const after = IS_WORD.test(chars[chars.length - 1] as string) ? AFTER_GUARD : '';
    return `${before}${escaped}${after}`;
  }
  // The quotes stay outside the match (lookarounds), so `"ab"` becomes `"(sensitive)"`.
  return ['"', "'", '`'].map((q) => `(?<=${q})${escaped}(?=${q})`).join('|');
}

/**
 * A function that replaces every recognisable occurrence of each value by its label. `values` maps a value to its
 * label; empty and blank values are ignored (they would match everywhere). Longer values win where two overlap.
 */
export function compileScrubber(values: ReadonlyMap<string, string>): Scrub {
  const labels = new Map<string, string>();
  for (const [value, label] of values) {
    for (const form of formsOf(value)) if (!labels.has(form)) labels.set(form, label);
  }
  if (labels.size === 0) return noScrub;
  const forms = [...labels.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const pattern = new RegExp(forms.map(patternOf).join('|'), 'gu');
  const quick = forms.map((form) => form.trim() || form);
  return (text) => {
    // Most texts hold no value at all: a substring test is far cheaper than the regular expression.
    if (!quick.some((form) => text.includes(form))) return text;
    return text.replace(pattern, (match) => labels.get(match) ?? SENSITIVE_LABEL);
  };
}

/**
 * The sensitive values one run of titan has learnt so far, and the scrubber of them. Values arrive as titan
 * learns them (the token at start, `${env:…}` values once the manifests are read); `scrub` always uses all of them.
 */
export class SensitiveValues {
  readonly #labels = new Map<string, string>();
  #compiled: Scrub = noScrub;
  #stale = false;

  /** Adds values shown as `label`; the token's label wins over the generic one for a value that is both. */
  add(values: Iterable<string>, label: string = SENSITIVE_LABEL): void {
    for (const value of values) {
      if (value.trim() === '') continue;
      const known = this.#labels.get(value);
      if (known === label || known === TOKEN_LABEL) continue;
      this.#labels.set(value, label);
      this.#stale = true;
    }
  }

  /** Adds the token (shown as `(redacted)`). */
  addToken(token: string | undefined): void {
    if (token !== undefined) this.add([token], TOKEN_LABEL);
  }

  /** Is `value` the token, or equal to a value added as one? */
  isToken(value: string): boolean {
    return this.#labels.get(value) === TOKEN_LABEL;
  }

  get size(): number {
    return this.#labels.size;
  }

  readonly scrub: Scrub = (text) => {
    if (this.#stale) {
      this.#compiled = compileScrubber(this.#labels);
      this.#stale = false;
    }
    return this.#compiled(text);
  };
}
