/**
 * The plan as a pull-request comment (GitHub-flavoured markdown). A reviewer sees first the summary, then what
 * will be destroyed and what breaks consumers, then one collapsed `<details>` block per change. A hidden marker
 * lets a workflow find and update its own comment. The comment stays under GitHub's 65,536-character limit by a
 * deterministic truncation that always keeps the summary and every destructive change. Pure.
 *
 * Every user-supplied value is either HTML-escaped or inside a code fence longer than any backtick run it holds,
 * so a manifest cannot inject markup into the comment.
 */
import type { JsonValue } from '../core/json.js';
import {
  isBreaking,
  isDestructive,
  type FieldChange,
  type Plan,
  type PlannedChange,
} from '../core/plan/model.js';
import {
  blockText,
  fieldSourceText,
  headline,
  inlineValue,
  isBlockField,
  plural,
  renderFooterLines,
  renderSummaryLine,
  sourceText,
  unifiedDiffLines,
  visibleChanges,
} from './plan-shared.js';

/** Hidden first line of every markdown plan: workflows look for it to update their comment instead of adding one. */
export const PLAN_MARKER = '<!-- titan-plan -->';
/** GitHub rejects comments over 65,536 characters; keep a margin. */
export const MARKDOWN_LIMIT = 65_000;
/** One change's details never take more than this; longer diffs are cut with a note. */
const BLOCK_LIMIT = 20_000;

export interface MarkdownRenderOptions {
  /** Title under the marker (default "titan plan"). */
  title?: string;
  /** Character budget (default `MARKDOWN_LIMIT`); tests use smaller ones. */
  limit?: number;
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownRenderOptions = {}): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  const footer = footerSection(plan);
  const head = headSection(plan, limit - footer.length - 400);
  const blocks = visibleChanges(plan, true).map((change) => ({ change, text: detailsBlock(change) }));
  let budget = limit - head.length - footer.length - 400; // room for the truncation notice
  const kept: string[] = [];
  let omitted = 0;
  for (const { change, text } of blocks) {
    if (text.length <= budget) {
      kept.push(text);
      budget -= text.length;
    } else if (isDestructive(change) && detailsBlock(change, true).length <= budget) {
      // Destructive changes are all listed in the head; keep their block too, without the diff.
      const compact = detailsBlock(change, true);
      kept.push(compact);
      budget -= compact.length;
    } else omitted += 1;
  }
  const notice =
    omitted > 0
      ? `\n> [!NOTE]\n> ${plural(omitted, 'more change')} not shown: a comment is limited to ${limit.toLocaleString('en-US')} characters. ` +
        'Run `titan plan` or `titan plan --format json` for the full plan.\n'
      : '';
  const body = `${kept.join('')}${notice}`;
  return `${head}${body}${body === '' ? footer.replace(/^\n/, '') : footer}`;
}

function headSection(plan: Plan, budget: number): string {
  const summary = escapeHtml(renderSummaryLine(plan)).replace(/[*`[\]\\]/g, '\\$&');
  const lines = [PLAN_MARKER, '### titan plan', '', `**${summary}**`, ''];
  for (const refusal of plan.refusals) {
    lines.push('> [!CAUTION]', `> **${escapeHtml(refusal.message)}**`, `> ${escapeHtml(refusal.hint)}`, '');
  }
  const shown = visibleChanges(plan, true);
  const destructive = shown.filter(isDestructive);
  const breaking = shown.filter((change) => !isDestructive(change) && isBreaking(change));
  if (destructive.length > 0 || breaking.length > 0) {
    const items = [
      ...destructive.map(destructiveItem),
      ...[...destructive, ...breaking].filter(isBreaking).map(breakingItem),
    ];
    lines.push('> [!WARNING]', '> **Destructive or breaking changes**', '>');
    let used = lines.join('\n').length;
    let cut = 0;
    for (const item of items) {
      if (used + item.length + 3 > budget) cut += 1;
      else {
        lines.push(`> ${item}`);
        used += item.length + 3;
      }
    }
    if (cut > 0) lines.push(`> - … and ${cut} more (the comment is too long to list them all)`);
    lines.push('');
  }
  if (plan.warnings.length > 0) {
    lines.push(...plan.warnings.map((warning) => `- ⚠️ ${escapeHtml(warning)}`), '');
  }
  return `${lines.join('\n')}\n`;
}

function destructiveItem(change: PlannedChange): string {
  const verb = change.action === 'replace' ? 'replace (delete, then create)' : 'delete';
  const where = sourceText(change);
  return `- **${verb}** ${code(change.key)}${change.id ? ` (${code(change.id)})` : ''}${where ? ` · ${code(where)}` : ''}`;
}

function breakingItem(change: PlannedChange): string {
  const reasons = change.fields
    .filter((field) => field.compatibility === 'breaking')
    .flatMap((field) =>
      field.notes.filter((note) => note.startsWith('breaking: ')).map((note) => note.slice(10)),
    );
  const places = [
    ...new Set(
      change.fields
        .filter((field) => field.compatibility === 'breaking')
        .map((field) => fieldSourceText(change, field))
        .filter((where): where is string => where !== undefined),
    ),
  ];
  const at = places.length > 0 ? ` at ${places.map(code).join(', ')}` : '';
  return `- **breaking output_schema** in ${code(change.key)}${at}: ${reasons.map(escapeHtml).join('; ')}`;
}

function footerSection(plan: Plan): string {
  const lines = renderFooterLines(plan).map(escapeHtml);
  return lines.length > 0 ? `\n${lines.join('  \n')}\n` : '';
}

function detailsBlock(change: PlannedChange, compact = false): string {
  const head = headline(change);
  const where = sourceText(change);
  const tags = [
    change.fields.length > 0 && change.action !== 'create' ? fieldNames(change) : '',
    isBreaking(change) ? '⚠️ breaking' : '',
    change.drift ? 'drifted' : '',
    change.vanished ? 'vanished' : '',
    change.protect ? 'protected' : '',
  ].filter(Boolean);
  const summary =
    `<code>${escapeHtml(`${head.symbol} ${head.verb}`)}</code> <b>${escapeHtml(head.subject)}</b>` +
    (head.id ? ` (<code>${escapeHtml(head.id)}</code>)` : '') +
    (tags.length > 0 ? ` · ${escapeHtml(tags.join(' · '))}` : '') +
    (where ? ` · <code>${escapeHtml(where)}</code>` : '');
  const body = compact
    ? ['_Details omitted to keep this comment within the size limit._']
    : changeBody(change);
  let text = `<details><summary>${summary}</summary>\n\n${body.join('\n')}\n\n</details>\n`;
  if (text.length > BLOCK_LIMIT) {
    text = `${text.slice(0, BLOCK_LIMIT - 200).replace(/\n[^\n]*$/, '')}\n${closeFences(text.slice(0, BLOCK_LIMIT - 200))}\n_… cut: this change is too long for a comment; see \`titan plan\` for all of it._\n\n</details>\n`;
  }
  return text;
}

const fieldNames = (change: PlannedChange): string => change.fields.map((field) => field.field).join(', ');

function changeBody(change: PlannedChange): string[] {
  const lines: string[] = [];
  for (const warning of change.warnings) lines.push(`> ⚠️ ${escapeHtml(warning)}`, '');
  if (change.action === 'adopt') {
    lines.push('An unmanaged live task equals the manifest: titan records its id (no API write).', '');
  }
  if (change.action === 'delete') {
    lines.push(`Task ${code(change.name)} will be deleted from the service.`, '');
  }
  const creating = change.action === 'create';
  const inline = change.fields.filter((field) => !isBlockField(field));
  if (inline.length > 0) {
    lines.push(
      creating ? '| field | value |' : '| field | before | after |',
      creating ? '|---|---|' : '|---|---|---|',
    );
    for (const field of inline) {
      const notes = field.notes.map((note) => escapeHtml(note.replace(/ -> /g, ' → '))).join('<br>');
      const cells = creating
        ? [code(field.field), cellValue(field.after) + (notes ? `<br>${notes}` : '')]
        : [
            code(field.field),
            cellValue(field.before),
            cellValue(field.after) + (notes ? `<br>${notes}` : ''),
          ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  for (const field of change.fields.filter(isBlockField)) {
    lines.push(...blockField(field, creating, fieldSourceText(change, field)), '');
  }
  if (lines.length === 0) lines.push('No field changes.');
  while (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function blockField(field: FieldChange, creating: boolean, where: string | undefined): string[] {
  const verdict =
    field.compatibility === 'breaking'
      ? ` · ⚠️ **breaking**${where === undefined ? '' : ` · ${code(where)}`}`
      : field.compatibility === 'compatible'
        ? ' · compatible'
        : '';
  const lines = [`**${escapeHtml(field.field)}**${verdict}`];
  if (field.notes.length > 0) lines.push('', ...field.notes.map((note) => `- ${escapeHtml(note)}`));
  const body = creating
    ? blockText(field.after).replace(/\n$/, '')
    : unifiedDiffLines(field.before, field.after).join('\n');
  const language = creating ? (typeof field.after === 'string' ? 'text' : 'json') : 'diff';
  if (body !== '') lines.push('', ...fenced(body, language));
  return lines;
}

const cellValue = (value: JsonValue | undefined): string => code(inlineValue(value));

/** Inline code that cannot break out: HTML `<code>` with the content escaped (pipes too, for tables). */
const code = (text: string): string => `<code>${escapeHtml(text).replace(/\|/g, '&#124;')}</code>`;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/** A fenced block whose fence is longer than any backtick run inside. */
function fenced(body: string, language: string): string[] {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, body, fence];
}

/** When a block is cut inside a code fence, close it so the rest of the comment renders. */
function closeFences(text: string): string {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^(`{3,})/.exec(line);
    if (!match) continue;
    if (open === undefined) open = match[1];
    else if (line.trim() === open) open = undefined;
  }
  return open === undefined ? '' : open;
}
