/**
 * Pieces shared by the plan renderings: symbols, the summary line, how each field change is shown, and what a
 * deleted task was. Pure.
 *
 * Values are shown as their author wrote them: object keys keep the manifest's order (a live value is put in the
 * manifest's order before it is compared, so a reordering is no diff). Lists and objects are diffed as YAML — one
 * item per line, no commas — so adding one URL adds one line.
 */
import { structuredPatch } from 'diff';
import { stringify as yamlStringify } from 'yaml';
import { isJsonObject, stableStringify, type JsonValue } from '../core/json.js';
import type { TaskSpec } from '../core/model.js';
import { runsPerDayText } from '../core/plan/cron.js';
import { scheduleWords } from '../core/plan/fields.js';
import {
  hasChanges,
  isBreaking,
  isDestructive,
  type ChangeAction,
  type FieldChange,
  type Plan,
  type PlannedChange,
} from '../core/plan/model.js';

export const ACTION_SYMBOL: Record<ChangeAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  adopt: '<=',
  move: '→',
  noop: ' ',
};

/** JSON fields always shown as diffs (or whole blocks) rather than inline; text fields when long. */
const BLOCK_FIELDS = new Set(['output_schema', 'payload', 'limits', 'execution_plan']);
/** Inline values longer than this are shown as blocks (or `-`/`+` lines) too. */
const INLINE_LIMIT = 60;

export const NO_CHANGES = 'No changes. Live tasks match the manifests.';

/**
 * `Plan: 2 to create (1 vanished), 1 to update · 1 breaking output_schema change · schedules +72 runs/day`. A
 * create of a vanished task is a recreation; a delete of one only drops it from the lockfile: both are counted.
 */
export function renderSummaryLine(plan: Plan): string {
  if (!hasChanges(plan)) return NO_CHANGES;
  const { summary } = plan;
  const counts = (['create', 'update', 'replace', 'delete', 'adopt', 'move'] as const)
    .filter((action) => summary[action] > 0)
    .map((action) => {
      const vanished = plan.changes.filter((c) => c.action === action && c.vanished).length;
      return `${summary[action]} to ${action}${vanished > 0 ? ` (${vanished} vanished)` : ''}`;
    });
  const parts = [`Plan: ${counts.join(', ')}`];
  if (summary.breaking > 0) {
    parts.push(`${summary.breaking} breaking output_schema change${summary.breaking > 1 ? 's' : ''}`);
  }
  if (summary.runs_per_day_delta !== 0)
    parts.push(`schedules ${runsPerDayText(summary.runs_per_day_delta, true)}`);
  if (summary.drifted > 0) parts.push(`${summary.drifted} drifted`);
  if (plan.options.targets.length > 0) parts.push(`targeted: ${plan.options.targets.join(', ')}`);
  return parts.join(' · ');
}

/** "12 unchanged · 3 unmanaged tasks not shown; see `titan import`", and the targeting caveat. */
export function renderFooterLines(plan: Plan): string[] {
  const lines: string[] = [];
  const parts: string[] = [];
  if (plan.summary.noop > 0) parts.push(`${plan.summary.noop} unchanged`);
  if (plan.unmanaged > 0) {
    parts.push(
      `${plan.unmanaged} unmanaged task${plan.unmanaged > 1 ? 's' : ''} not shown; see \`titan import\``,
    );
  }
  if (parts.length > 0) lines.push(`${parts.join(' · ')}.`);
  if (plan.options.targets.length > 0) {
    lines.push(
      `This plan is targeted (--target ${plan.options.targets.join(', --target ')}): other tasks were not considered.`,
    );
  }
  return lines;
}

/** Changes worth showing (noop hidden), in display order: destructive, then breaking, then the rest, by key. */
export function visibleChanges(plan: Plan, priorityFirst: boolean): PlannedChange[] {
  const shown = plan.changes.filter((change) => change.action !== 'noop');
  if (!priorityFirst) return shown;
  const rank = (change: PlannedChange): number => (isDestructive(change) ? 0 : isBreaking(change) ? 1 : 2);
  return shown
    .map((change, index) => ({ change, index }))
    .sort((a, b) => rank(a.change) - rank(b.change) || a.index - b.index)
    .map((x) => x.change);
}

export const PROTECT_TAG = 'blocked by protect';
export const MASS_DELETE_TAG = 'needs --allow-mass-delete';

/** Why a guard blocks each change it blocks, by key: `blocked by protect`, `needs --allow-mass-delete`. */
export function refusalTags(plan: Plan): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const refusal of plan.refusals) {
    const tag = refusal.reason === 'protected' ? PROTECT_TAG : MASS_DELETE_TAG;
    for (const key of refusal.keys) tags.set(key, [...(tags.get(key) ?? []), tag]);
  }
  return tags;
}

/** The headline of a change: `~ update key (id)`, `→ move old → new (id)`. */
export function headline(change: PlannedChange): {
  symbol: string;
  verb: string;
  subject: string;
  id?: string;
} {
  const subject =
    change.action === 'move' && change.from_key ? `${change.from_key} → ${change.key}` : change.key;
  const out: { symbol: string; verb: string; subject: string; id?: string } = {
    symbol: ACTION_SYMBOL[change.action],
    verb: change.action,
    subject,
  };
  if (change.id !== undefined) out.id = change.id;
  return out;
}

export const sourceText = (change: PlannedChange): string | undefined =>
  change.source === undefined
    ? undefined
    : change.source.line === undefined
      ? change.source.file
      : `${change.source.file}:${change.source.line}`;

/** `file:line` where the manifest writes a changed field, when the plan knows it. */
export const fieldSourceText = (change: PlannedChange, field: FieldChange): string | undefined =>
  change.source === undefined || field.line === undefined ? undefined : `${change.source.file}:${field.line}`;

/** Short JSON form of a value, with spaces after commas and colons, keys in their order; `(none)` for absent. */
export function inlineValue(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.map(inlineValue).join(', ')}]`;
  if (isJsonObject(value)) {
    const entries = Object.keys(value).map((key) => `${JSON.stringify(key)}: ${inlineValue(value[key])}`);
    return `{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** How a field change is shown. */
export type FieldView =
  /** `old -> new` (or the created value). */
  | { kind: 'inline'; text: string }
  /** A long one-line string: `- old` and `+ new`, no hunk header. */
  | { kind: 'lines'; lines: string[] }
  /** Unified diff hunks of multi-line text, or of lists and objects as YAML. */
  | { kind: 'diff'; lines: string[] }
  /** A created value shown whole. */
  | { kind: 'block'; text: string; language: 'text' | 'yaml' }
  /** A created output_schema identical to one shown for an earlier change. */
  | { kind: 'same'; as: string }
  /** Nothing visible differs (a sensitive value changed). */
  | { kind: 'none' };

export interface FieldViewOptions {
  creating: boolean;
  /** For a created output_schema already shown with another change: that change's key. */
  sameAs?: string;
}

export function fieldView(field: FieldChange, options: FieldViewOptions): FieldView {
  const { before, after } = field;
  if (options.creating) {
    if (options.sameAs !== undefined) return { kind: 'same', as: options.sameAs };
    if (!isBlockField(field)) return { kind: 'inline', text: inlineValue(after) };
    return { kind: 'block', text: blockText(after), language: typeof after === 'string' ? 'text' : 'yaml' };
  }
  if (!isBlockField(field))
    return { kind: 'inline', text: `${inlineValue(before)} -> ${inlineValue(after)}` };
  if (isOneLine(before) && isOneLine(after)) {
    const lines = [
      ...(before === undefined ? [] : [`- ${JSON.stringify(before)}`]),
      ...(after === undefined ? [] : [`+ ${JSON.stringify(after)}`]),
    ];
    return before === after ? { kind: 'none' } : { kind: 'lines', lines };
  }
  const lines = unifiedDiffLines(before, after);
  return lines.length === 0 ? { kind: 'none' } : { kind: 'diff', lines };
}

/** Is this field shown as a block (text, `-`/`+` lines or a diff) rather than `old -> new`? */
export function isBlockField(field: FieldChange): boolean {
  if (BLOCK_FIELDS.has(field.field)) return true;
  return [field.before, field.after].some(
    (value) =>
      value !== undefined &&
      (inlineValue(value).length > INLINE_LIMIT || (typeof value === 'string' && !isOneLine(value))),
  );
}

/** A string without line breaks (a single trailing newline, as YAML's `|` leaves, does not count); or absent. */
const isOneLine = (value: JsonValue | undefined): boolean =>
  value === undefined || (typeof value === 'string' && !oneLine(value).includes('\n'));
const oneLine = (value: JsonValue): string => String(value).replace(/\n$/, '');

/** The text a block shows: strings as they are, everything else as YAML. Ends with a newline. */
export function blockText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  const text =
    typeof value === 'string' ? value : yamlStringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Unified diff hunks (`@@ … @@`, ` `, `-`, `+` lines) between two values' block texts; `before` is first put in
 * `after`'s key order, so only real differences show.
 */
export function unifiedDiffLines(before: JsonValue | undefined, after: JsonValue | undefined): string[] {
  const aligned = before === undefined || after === undefined ? before : inOrderOf(before, after);
  const patch = structuredPatch(
    'before',
    'after',
    blockText(aligned),
    blockText(after),
    undefined,
    undefined,
    { context: 3 },
  );
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) if (!line.startsWith('\\')) lines.push(line);
  }
  return lines;
}

/** `value` with its object keys in the order `template` has them (keys the template lacks last, as they were). */
export function inOrderOf(value: JsonValue, template: JsonValue): JsonValue {
  if (Array.isArray(value)) {
    return value.map((item, i) =>
      Array.isArray(template) && template[i] !== undefined ? inOrderOf(item, template[i]) : item,
    );
  }
  if (!isJsonObject(value)) return value;
  const out: Record<string, JsonValue> = {};
  const order = isJsonObject(template) ? Object.keys(template).filter((key) => key in value) : [];
  for (const key of [...order, ...Object.keys(value).filter((key) => !order.includes(key))]) {
    const item = value[key] as JsonValue;
    out[key] = isJsonObject(template) && template[key] !== undefined ? inOrderOf(item, template[key]) : item;
  }
  return out;
}

/**
 * For each created output_schema, the key of the earlier change (in `changes` order) that shows the same schema:
 * a plan creating twenty tasks with one schema shows it once.
 */
export function sameSchemaAs(changes: readonly PlannedChange[]): Map<PlannedChange, string> {
  const first = new Map<string, string>();
  const out = new Map<PlannedChange, string>();
  for (const change of changes) {
    const schema = change.action === 'create' ? change.after?.output_schema : undefined;
    if (schema === undefined) continue;
    const digest = stableStringify(schema);
    const seen = first.get(digest);
    if (seen === undefined) first.set(digest, change.key);
    else out.set(change, seen);
  }
  return out;
}

/**
 * What a deleted task was, as `[label, text]` rows: its name, schedule, URLs, objective and output fields — or only
 * its name when the listing gave a summary.
 */
export function deletedTaskRows(change: PlannedChange): [string, string][] {
  const spec: TaskSpec | undefined = change.before;
  const rows: [string, string][] = [['name', JSON.stringify(change.name)]];
  if (spec === undefined) return rows;
  rows.push(['runs', scheduleSummary(spec)]);
  if (spec.urls !== undefined) rows.push(['urls', listSummary(spec.urls, 'URL')]);
  if (spec.objective !== undefined)
    rows.push(['objective', JSON.stringify(shorten(firstLine(spec.objective)))]);
  if (spec.action_type !== undefined) {
    rows.push(['action', `${spec.action_type}${spec.input_source ? ` from ${spec.input_source}` : ''}`]);
  }
  const template = spec.template_slug ?? spec.template_id;
  if (template !== undefined) rows.push(['template', template]);
  if (spec.execution_plan !== undefined) {
    const steps = spec.execution_plan.steps;
    rows.push(['steps', `${steps.length}: ${shorten(steps.map((s) => s.action_type).join(' → '))}`]);
  }
  const fields = outputFields(spec.output_schema);
  if (fields !== undefined) rows.push(['output_schema', fields]);
  return rows;
}

function scheduleSummary(spec: TaskSpec): string {
  if (spec.execution_type === 'single') return 'only when run (single)';
  if (spec.execution_type !== 'scheduled') return spec.execution_type;
  return scheduleWords(spec) ?? `cron ${JSON.stringify(spec.schedule ?? '')}`;
}

/** `https://a.example/ and 2 more (3 URLs)`. */
function listSummary(items: readonly string[], noun: string): string {
  if (items.length === 0) return `no ${noun}s`;
  const shown = items.slice(0, 2).join(', ');
  const more = items.length > 2 ? ` and ${items.length - 2} more` : '';
  return `${shorten(shown)}${more} (${items.length} ${noun}${items.length === 1 ? '' : 's'})`;
}

/** `object: name, price (2 properties)`; undefined without a schema. */
function outputFields(schema: JsonValue | undefined): string | undefined {
  if (!isJsonObject(schema)) return undefined;
  const properties = isJsonObject(schema.properties) ? Object.keys(schema.properties) : [];
  const type = typeof schema.type === 'string' ? schema.type : 'schema';
  if (properties.length === 0) return type;
  return `${type}: ${shorten(properties.join(', '))} (${properties.length} propert${properties.length === 1 ? 'y' : 'ies'})`;
}

const firstLine = (text: string): string => {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return `${lines[0] ?? ''}${lines.length > 1 ? ' …' : ''}`;
};

const shorten = (text: string, max = 80): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** Plural helper: `1 task`, `2 tasks`. */
export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Paints text with an SGR code (`31` red, `1;32` bold green…) when colour is wanted. */
export type Paint = (code: string, text: string) => string;

export const sgrPainter =
  (color: boolean): Paint =>
  (code, text) =>
    color ? `\u001b[${code}m${text}\u001b[0m` : text;
