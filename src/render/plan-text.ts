/**
 * The plan for a terminal: one block per change (noops hidden), field diffs a person can read, warnings, then the
 * summary line and, when a safety guard refuses the plan, a `Refused:` block (the command also reports it on stderr
 * and exits 4). Pure; colour only when asked for.
 */
import type { JsonValue } from '../core/json.js';
import type { ChangeAction, FieldChange, Plan, PlannedChange } from '../core/plan/model.js';
import {
  deletedTaskRows,
  fieldSourceText,
  fieldView,
  headline,
  refusalTags,
  renderFooterLines,
  renderSummaryLine,
  sameSchemaAs,
  sgrPainter,
  sourceText,
  visibleChanges,
  type Paint,
} from './plan-shared.js';
import { evidenceWarnings, historySummary, impactRows, violationText } from './plan-evidence.js';

export interface TextRenderOptions {
  color?: boolean;
}

const ACTION_COLOR: Record<ChangeAction, string> = {
  create: '32',
  update: '33',
  replace: '35',
  delete: '31',
  adopt: '36',
  move: '34',
  noop: '2',
};

const FIELD_INDENT = '    ';
const NAME_WIDTH = 16;
const BLOCK_INDENT = `${FIELD_INDENT}  `;

export function renderPlanText(plan: Plan, options: TextRenderOptions = {}): string {
  const paint = sgrPainter(options.color === true);
  const out: string[] = [];
  const changes = visibleChanges(plan, false);
  const sameSchema = sameSchemaAs(changes);
  const tags = refusalTags(plan);
  for (const change of changes) {
    out.push(...renderChange(change, paint, sameSchema.get(change), tags.get(change.key) ?? []), '');
  }
  if (plan.warnings.length > 0) {
    out.push(paint('33', 'Warnings:'), ...plan.warnings.map((w) => `  ! ${w}`), '');
  }
  out.push(paint('1', renderSummaryLine(plan)));
  if (plan.refusals.length > 0) {
    out.push(
      paint('31;1', 'Refused: titan apply will not run this plan (titan plan exits 4).'),
      ...plan.refusals.map((refusal) => `  ${paint('31', '✗')} ${refusal.message}`),
    );
  }
  out.push(...renderFooterLines(plan));
  return `${out.join('\n')}\n`;
}

function renderChange(
  change: PlannedChange,
  paint: Paint,
  sameSchemaAs: string | undefined,
  blockedBy: string[],
): string[] {
  const head = headline(change);
  const color = ACTION_COLOR[change.action];
  let title = `${paint(`${color};1`, `${head.symbol} ${head.verb}`)} ${paint('1', head.subject)}`;
  if (head.id !== undefined) title += ` (${head.id})`;
  const where = sourceText(change);
  if (where !== undefined) title += `  ${paint('2', where)}`;
  const lines = [title];
  const flags = [
    change.protect ? 'protected' : '',
    change.drift ? 'drifted' : '',
    change.vanished ? 'vanished' : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (flags) lines.push(`${FIELD_INDENT}${paint('2', `[${flags}]`)}`);
  for (const reason of blockedBy) lines.push(`${FIELD_INDENT}${paint('31;1', `✗ refused: ${reason}`)}`);
  for (const warning of [...change.warnings, ...evidenceWarnings(change)])
    lines.push(`${FIELD_INDENT}${paint('33', `! ${warning}`)}`);
  if (change.action === 'adopt') {
    lines.push(
      `${FIELD_INDENT}an unmanaged live task equals the manifest: titan records its id (no API write)`,
    );
  }
  if (change.action === 'delete' && !change.vanished) {
    for (const [label, text] of deletedTaskRows(change)) lines.push(`${FIELD_INDENT}${pad(label)}${text}`);
  }
  for (const [label, text] of impactRows(change.impact)) lines.push(`${FIELD_INDENT}${pad(label)}${text}`);
  for (const field of change.fields) {
    const sameAs = field.field === 'output_schema' ? sameSchemaAs : undefined;
    lines.push(...renderField(field, change, paint, sameAs));
  }
  lines.push(...historyLines(change, paint));
  return lines;
}

/** `history  37 of 100 recent records … would fail the new schema`, then one line per violation group. */
function historyLines(change: PlannedChange, paint: Paint): string[] {
  const history = change.history;
  if (history === undefined) return [];
  const failing = history.check.failing > 0;
  const lines = [
    `${FIELD_INDENT}${pad('history')}${failing ? paint('31', historySummary(history)) : historySummary(history)}`,
  ];
  for (const group of history.check.violations) lines.push(`${BLOCK_INDENT}${violationText(group)}`);
  if (history.check.more_groups > 0)
    lines.push(`${BLOCK_INDENT}… ${history.check.more_groups} more kinds of violation`);
  return lines;
}

function renderField(
  field: FieldChange,
  change: PlannedChange,
  paint: Paint,
  sameAs: string | undefined,
): string[] {
  const creating = change.action === 'create';
  const label = `${FIELD_INDENT}${pad(field.field)}`;
  // A breaking change names the line to look at: where the manifest writes the field.
  const where = fieldSourceText(change, field);
  const verdict =
    field.compatibility === 'breaking'
      ? `${paint('31;1', 'BREAKING')}${where === undefined ? '' : `  ${paint('2', where)}`}`
      : undefined;
  const view = fieldView(field, sameAs === undefined ? { creating } : { creating, sameAs });
  const lines: string[] = [];
  if (view.kind === 'inline') lines.push(`${label}${view.text}${verdict ? `  ${verdict}` : ''}`);
  else if (view.kind === 'same') lines.push(`${label}same as ${view.as}`);
  else {
    lines.push(`${label}${verdict ?? (creating ? '' : changeWord(field.before, field.after))}`.trimEnd());
  }
  for (const note of field.notes)
    lines.push(`${FIELD_INDENT}${' '.repeat(NAME_WIDTH)}${noteColor(note, paint)}`);
  if (view.kind === 'block') {
    lines.push(
      ...view.text
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `${BLOCK_INDENT}${line}`),
    );
  } else if (view.kind === 'lines' || view.kind === 'diff') {
    lines.push(...view.lines.map((line) => `${BLOCK_INDENT}${colorDiffLine(line, paint)}`));
  }
  return lines;
}

const changeWord = (before: JsonValue | undefined, after: JsonValue | undefined): string =>
  before === undefined ? '(added)' : after === undefined ? '(removed)' : '';

function colorDiffLine(line: string, paint: Paint): string {
  if (line.startsWith('@@')) return paint('36', line);
  if (line.startsWith('+')) return paint('32', line);
  if (line.startsWith('-')) return paint('31', line);
  return line;
}

const noteColor = (note: string, paint: Paint): string =>
  note.startsWith('breaking:') ? paint('31', note) : paint('2', note);

const pad = (name: string): string => (name.length >= NAME_WIDTH - 1 ? `${name} ` : name.padEnd(NAME_WIDTH));
