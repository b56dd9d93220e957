/**
 * Pieces shared by the plan renderings: symbols, the summary line, value formatting and unified diffs. Pure.
 */
import { structuredPatch } from 'diff';
import { formatRunsPerDay } from '../core/plan/cron.js';
import { stableStringify, type JsonValue } from '../core/json.js';
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

/** JSON fields always shown as unified diffs (or full blocks) rather than inline; text fields when long. */
const BLOCK_FIELDS = new Set(['output_schema', 'payload', 'limits', 'execution_plan']);
/** Inline values longer than this are shown as blocks too. */
const INLINE_LIMIT = 60;

export const NO_CHANGES = 'No changes. Live tasks match the manifests.';

/** `Plan: 2 to create, 1 to update · 1 breaking output_schema change · schedules +72 runs/day`. */
export function renderSummaryLine(plan: Plan): string {
  if (!hasChanges(plan)) return NO_CHANGES;
  const { summary } = plan;
  const counts = (['create', 'update', 'replace', 'delete', 'adopt', 'move'] as const)
    .filter((action) => summary[action] > 0)
    .map((action) => `${summary[action]} to ${action}`);
  const parts = [`Plan: ${counts.join(', ')}`];
  if (summary.breaking > 0) {
    parts.push(`${summary.breaking} breaking output_schema change${summary.breaking > 1 ? 's' : ''}`);
  }
  if (summary.runsPerDayDelta !== 0)
    parts.push(`schedules ${formatRunsPerDay(summary.runsPerDayDelta, true)} runs/day`);
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

/** The headline of a change: `~ update key (id)`, `→ move old → new (id)`. */
export function headline(change: PlannedChange): {
  symbol: string;
  verb: string;
  subject: string;
  id?: string;
} {
  const subject =
    change.action === 'move' && change.fromKey ? `${change.fromKey} → ${change.key}` : change.key;
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

/** Short JSON form of a value, with spaces after commas and colons, keys sorted; `(none)` for absent. */
export function inlineValue(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.map(inlineValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}: ${inlineValue(value[key])}`);
    return `{${entries.join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** Is this field shown as a block (full text or unified diff) rather than `old -> new`? */
export function isBlockField(field: FieldChange): boolean {
  if (BLOCK_FIELDS.has(field.field)) return true;
  return [field.before, field.after].some(
    (value) =>
      value !== undefined &&
      (inlineValue(value).length > INLINE_LIMIT || (typeof value === 'string' && value.includes('\n'))),
  );
}

/** The text a block shows: strings as they are, everything else as stable pretty JSON. Ends with a newline. */
export function blockText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : stableStringify(value, 2);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Unified diff hunks (`@@ … @@`, ` `, `-`, `+` lines) between two values' block texts. */
export function unifiedDiffLines(before: JsonValue | undefined, after: JsonValue | undefined): string[] {
  const patch = structuredPatch(
    'before',
    'after',
    blockText(before),
    blockText(after),
    undefined,
    undefined,
    {
      context: 3,
    },
  );
  const lines: string[] = [];
  for (const hunk of patch.hunks) {
    lines.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    for (const line of hunk.lines) if (!line.startsWith('\\')) lines.push(line);
  }
  return lines;
}

/** Plural helper: `1 task`, `2 tasks`. */
export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
