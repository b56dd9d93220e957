/**
 * The plan for a terminal: one block per change (noops hidden), field diffs a person can read, warnings, then the
 * summary line. Pure; colour only when asked for. Refusals are not repeated here: the command reports them as its
 * error (stderr, exit 4).
 */
import type { JsonValue } from '../core/json.js';
import type { ChangeAction, FieldChange, Plan, PlannedChange } from '../core/plan/model.js';
import {
  blockText,
  fieldSourceText,
  headline,
  inlineValue,
  isBlockField,
  renderFooterLines,
  renderSummaryLine,
  sourceText,
  unifiedDiffLines,
  visibleChanges,
} from './plan-shared.js';

export interface TextRenderOptions {
  color?: boolean;
}

type Paint = (code: string, text: string) => string;

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
  const paint: Paint = options.color
    ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
    : (_code, text) => text;
  const out: string[] = [];
  for (const change of visibleChanges(plan, false)) {
    out.push(...renderChange(change, paint), '');
  }
  if (plan.warnings.length > 0) {
    out.push(paint('33', 'Warnings:'), ...plan.warnings.map((w) => `  ! ${w}`), '');
  }
  out.push(paint('1', renderSummaryLine(plan)), ...renderFooterLines(plan));
  return `${out.join('\n')}\n`;
}

function renderChange(change: PlannedChange, paint: Paint): string[] {
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
  for (const warning of change.warnings) lines.push(`${FIELD_INDENT}${paint('33', `! ${warning}`)}`);
  if (change.action === 'adopt') {
    lines.push(
      `${FIELD_INDENT}an unmanaged live task equals the manifest: titan records its id (no API write)`,
    );
  }
  if (change.action === 'delete' && !change.vanished) {
    lines.push(`${FIELD_INDENT}${pad('name')}${JSON.stringify(change.name)}`);
  }
  for (const field of change.fields) lines.push(...renderField(field, change, paint));
  return lines;
}

function renderField(field: FieldChange, change: PlannedChange, paint: Paint): string[] {
  const lines: string[] = [];
  const creating = change.action === 'create';
  const label = `${FIELD_INDENT}${pad(field.field)}`;
  // A breaking change names the line to look at: where the manifest writes the field.
  const where = fieldSourceText(change, field);
  const verdict =
    field.compatibility === 'breaking'
      ? `${paint('31;1', 'BREAKING')}${where === undefined ? '' : `  ${paint('2', where)}`}`
      : undefined;
  if (!isBlockField(field)) {
    const value = creating
      ? inlineValue(field.after)
      : `${inlineValue(field.before)} -> ${inlineValue(field.after)}`;
    lines.push(`${label}${value}${verdict ? `  ${verdict}` : ''}`);
  } else {
    lines.push(`${label}${verdict ?? (creating ? '' : changeWord(field.before, field.after))}`.trimEnd());
  }
  for (const note of field.notes)
    lines.push(`${FIELD_INDENT}${' '.repeat(NAME_WIDTH)}${noteColor(note, paint)}`);
  if (isBlockField(field)) lines.push(...blockLines(field, creating, paint));
  return lines;
}

function blockLines(field: FieldChange, creating: boolean, paint: Paint): string[] {
  if (creating)
    return blockText(field.after)
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `${BLOCK_INDENT}${line}`);
  return unifiedDiffLines(field.before, field.after).map(
    (line) => `${BLOCK_INDENT}${colorDiffLine(line, paint)}`,
  );
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
