/**
 * The plan as a pull-request comment (GitHub-flavoured markdown). A reviewer sees first the summary, then what
 * will be destroyed and what breaks consumers, then one collapsed `<details>` block per change. A hidden marker
 * lets a workflow find and update its own comment.
 *
 * The comment stays under GitHub's 65,536-character limit by a deterministic truncation that always keeps the
 * summary and names every destructive change: the list of destructive and breaking changes falls back to compact
 * key-only lists when the full items do not fit (destructive first, then breaking), and the details blocks are
 * kept in the same priority — destructive, breaking, then the rest — while they fit. Pure.
 *
 * Every value from manifests or the service goes through one of the escaping functions of `markdown-escape.ts`,
 * chosen by where it lands (prose, inline code, the HTML of a `<details>` summary, a fence), so a manifest cannot
 * put an element into the comment: the comment shows exactly its characters.
 */
import { stableStringify, type JsonValue } from '../core/json.js';
import { breakingReasons } from '../core/plan/fields.js';
import {
  isBreaking,
  isDestructive,
  type FieldChange,
  type Plan,
  type PlannedChange,
  type PlanRefusal,
} from '../core/plan/model.js';
import {
  MASS_DELETE_TAG,
  PROTECT_TAG,
  deletedTaskRows,
  fieldSourceText,
  fieldView,
  headline,
  inlineValue,
  isBlockField,
  plural,
  refusalTags,
  renderFooterLines,
  renderSummaryLine,
  sourceText,
  visibleChanges,
} from './plan-shared.js';
import { htmlText, markdownCode, markdownFence, markdownText } from './markdown-escape.js';
import { evidenceWarnings, historySummary, impactRows, impactSummary } from './plan-evidence.js';

/** Hidden first line of every markdown plan: workflows look for it to update their comment instead of adding one. */
export const PLAN_MARKER = '<!-- titan-plan -->';
/** GitHub rejects comments over 65,536 characters; keep a margin. */
export const MARKDOWN_LIMIT = 65_000;
/** One change's details never take more than this; longer diffs are cut with a note. */
const BLOCK_LIMIT = 20_000;
/** Room kept for the notices that say what was left out. */
const NOTICE_ROOM = 400;
/** A refusal message longer than this (many protected keys) is summarised: the keys are marked in the list. */
const REFUSAL_MESSAGE_LIMIT = 400;

export interface MarkdownRenderOptions {
  /** Character budget (default `MARKDOWN_LIMIT`); tests use smaller ones. */
  limit?: number;
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownRenderOptions = {}): string {
  const limit = options.limit ?? MARKDOWN_LIMIT;
  const shown = visibleChanges(plan, true);
  const tags = refusalTags(plan);
  const top = topSection(plan);
  const footer = footerSection(plan);
  let budget = limit - top.length - footer.length - NOTICE_ROOM;
  const lists = listsSection(shown, tags, budget);
  budget -= lists.length;
  const details = detailsSection(shown, tags, budget);
  const notice =
    details.omitted > 0
      ? `\n> [!NOTE]\n> ${plural(details.omitted, 'more change')} not shown in detail: a comment is limited to ${limit.toLocaleString('en-US')} characters. ` +
        'Run `titan plan` or `titan plan --format json` for the full plan.\n'
      : '';
  const body = `${lists}${details.text}${notice}`;
  return `${top}${body}${body === '' ? footer.replace(/^\n/, '') : footer}`;
}

function topSection(plan: Plan): string {
  const summary = markdownText(renderSummaryLine(plan));
  const lines = [PLAN_MARKER, '### titan plan', '', `**${summary}**`, ''];
  if (plan.refusals.length > 0) {
    lines.push('> [!CAUTION]', '> **Refused: titan apply will not run this plan.**', '>');
    for (const refusal of plan.refusals) {
      lines.push(`> - **${markdownText(refusalMessage(refusal))}** ${markdownText(refusal.hint)}`);
    }
    lines.push('');
  }
  if (plan.warnings.length > 0) {
    lines.push(...plan.warnings.map((warning) => `- ⚠️ ${markdownText(warning)}`), '');
  }
  return `${lines.join('\n')}\n`;
}

function refusalMessage(refusal: PlanRefusal): string {
  if (refusal.message.length <= REFUSAL_MESSAGE_LIMIT) return refusal.message;
  const what = refusal.reason === 'protected' ? PROTECT_TAG : MASS_DELETE_TAG;
  return `${plural(refusal.keys.length, 'task')} cannot be deleted or replaced: they are marked "${what}" below.`;
}

// ——— the list of destructive and breaking changes ———

const LIST_HEAD = '> [!WARNING]\n> **Destructive or breaking changes**\n>\n';

/**
 * Every destructive and breaking change, one item each when they fit; else compact key-only lists, destructive
 * ones claiming the room first. Only when even a key list cannot fit is the rest counted instead of named.
 */
function listsSection(shown: PlannedChange[], tags: Map<string, string[]>, budget: number): string {
  const destructive = shown.filter(isDestructive);
  const breaking = shown.filter(isBreaking);
  if (destructive.length === 0 && breaking.length === 0) return '';
  let room = budget - LIST_HEAD.length - 2;
  const destructiveFull = joinLines(destructive.map((c) => destructiveItem(c, tags.get(c.key) ?? [])));
  const breakingCompact = compactList(breakingGroups(breaking), Number.POSITIVE_INFINITY);
  const destructivePart =
    destructiveFull.length + breakingCompact.length <= room
      ? destructiveFull
      : compactList(destructiveGroups(destructive, tags), room);
  room -= destructivePart.length;
  const breakingFull = joinLines(breaking.map(breakingItem));
  const breakingPart =
    breakingFull.length <= room
      ? breakingFull
      : breakingCompact.length <= room
        ? breakingCompact
        : compactList(breakingGroups(breaking), room);
  return `${LIST_HEAD}${destructivePart}${breakingPart}\n`;
}

const joinLines = (items: string[]): string => items.map((item) => `> ${item}\n`).join('');

function destructiveItem(change: PlannedChange, blockedBy: string[]): string {
  const verb = change.action === 'replace' ? 'replace (delete, then create)' : 'delete';
  const where = sourceText(change);
  const blocked = blockedBy.map((tag) => ` · **${markdownText(tag)}**`).join('');
  const impact = impactSummary(change.impact);
  return `- **${verb}** ${code(change.key)}${change.id ? ` (${code(change.id)})` : ''}${where ? ` · ${code(where)}` : ''}${impact ? ` · ${markdownText(impact)}` : ''}${blocked}`;
}

function breakingItem(change: PlannedChange): string {
  const reasons = change.fields
    .filter((field) => field.compatibility === 'breaking')
    .flatMap(breakingReasons);
  const places = [
    ...new Set(
      change.fields
        .filter((field) => field.compatibility === 'breaking')
        .map((field) => fieldSourceText(change, field))
        .filter((where): where is string => where !== undefined),
    ),
  ];
  const at = places.length > 0 ? ` at ${places.map(code).join(', ')}` : '';
  const history =
    change.history !== undefined && change.history.check.failing > 0
      ? ` · **${markdownText(historySummary(change.history))}**`
      : '';
  return `- **breaking output_schema** in ${code(change.key)}${at}: ${reasons.map(markdownText).join('; ')}${history}`;
}

interface KeyGroup {
  label: string;
  keys: string[];
}

/** Destructive keys grouped by what happens to them and what blocks it, in display order. */
function destructiveGroups(changes: PlannedChange[], tags: Map<string, string[]>): KeyGroup[] {
  const groups = new Map<string, KeyGroup>();
  for (const change of changes) {
    const verb = change.action === 'replace' ? 'replace' : 'delete';
    const blocked = (tags.get(change.key) ?? []).map((tag) => ` · ${markdownText(tag)}`).join('');
    const label = `**${verb}**${blocked}`;
    const group = groups.get(label) ?? { label, keys: [] };
    group.keys.push(change.key);
    groups.set(label, group);
  }
  return [...groups.values()];
}

const breakingGroups = (changes: PlannedChange[]): KeyGroup[] =>
  changes.length === 0 ? [] : [{ label: '**breaking output_schema**', keys: changes.map((c) => c.key) }];

/**
 * `> - **delete** (1000): `a`, `b`, …` lines within `room` characters; when even that is too long, the keys that
 * fit and a count of the rest.
 */
function compactList(groups: KeyGroup[], room: number): string {
  const full = groups.map((g) => `> - ${g.label} (${g.keys.length}): ${g.keys.map(shortCode).join(', ')}\n`);
  if (full.join('').length <= room) return full.join('');
  const reserve = 120;
  let used = 0;
  let left = 0;
  const lines: string[] = [];
  for (const group of groups) {
    let line = `> - ${group.label} (${group.keys.length}): `;
    let named = 0;
    for (const key of group.keys) {
      const item = `${named > 0 ? ', ' : ''}${shortCode(key)}`;
      if (used + line.length + item.length + 1 > room - reserve) break;
      line += item;
      named += 1;
    }
    left += group.keys.length - named;
    if (named > 0) {
      lines.push(`${line}${named < group.keys.length ? ', …' : ''}\n`);
      used += line.length + 4;
    }
  }
  if (left > 0) {
    lines.push(
      `> - … and ${left} more not named: the comment is too long; run \`titan plan\` for all of them\n`,
    );
  }
  return lines.join('');
}

/** Keys are `[a-z0-9-]` (the manifest and lockfile schemas say so): plain backticks are safe and short. */
const shortCode = (key: string): string => (/^[a-z0-9][a-z0-9-]*$/.test(key) ? `\`${key}\`` : code(key));

// ——— one <details> block per change ———

/**
 * Details blocks in priority order while they fit; a destructive change too long for the room left keeps a block
 * without its field diffs. A created output_schema already shown in a kept block is referenced, not repeated.
 */
function detailsSection(
  shown: PlannedChange[],
  tags: Map<string, string[]>,
  budget: number,
): { text: string; omitted: number } {
  const schemasShown = new Map<string, string>();
  let room = budget;
  let omitted = 0;
  const kept: string[] = [];
  for (const change of shown) {
    const schema = change.action === 'create' ? change.after?.output_schema : undefined;
    const digest = schema === undefined ? undefined : stableStringify(schema);
    const sameAs = digest === undefined ? undefined : schemasShown.get(digest);
    const context = { blockedBy: tags.get(change.key) ?? [], sameAs };
    let text = detailsBlock(change, context, false);
    if (text.length > room && isDestructive(change)) text = detailsBlock(change, context, true);
    if (text.length > room) {
      omitted += 1;
      continue;
    }
    kept.push(text);
    room -= text.length;
    if (digest !== undefined && sameAs === undefined) schemasShown.set(digest, change.key);
  }
  return { text: kept.join(''), omitted };
}

interface BlockContext {
  blockedBy: string[];
  sameAs: string | undefined;
}

function detailsBlock(change: PlannedChange, context: BlockContext, compact: boolean): string {
  const head = headline(change);
  const where = sourceText(change);
  const tags = [
    change.fields.length > 0 && change.action !== 'create' ? fieldNames(change) : '',
    isBreaking(change) ? '⚠️ breaking' : '',
    change.drift ? 'drifted' : '',
    change.vanished ? 'vanished' : '',
    change.protect ? 'protected' : '',
    ...context.blockedBy.map((tag) => `⛔ ${tag}`),
  ].filter(Boolean);
  const summary =
    `<code>${htmlText(`${head.symbol} ${head.verb}`)}</code> <b>${htmlText(head.subject)}</b>` +
    (head.id ? ` (<code>${htmlText(head.id)}</code>)` : '') +
    (tags.length > 0 ? ` · ${htmlText(tags.join(' · '))}` : '') +
    (where ? ` · <code>${htmlText(where)}</code>` : '');
  const body = changeBody(change, context, compact);
  let text = `<details><summary>${summary}</summary>\n\n${body.join('\n')}\n\n</details>\n`;
  if (text.length > BLOCK_LIMIT) {
    text = `${text.slice(0, BLOCK_LIMIT - 200).replace(/\n[^\n]*$/, '')}\n${closeFences(text.slice(0, BLOCK_LIMIT - 200))}\n_… cut: this change is too long for a comment; see \`titan plan\` for all of it._\n\n</details>\n`;
  }
  return text;
}

const fieldNames = (change: PlannedChange): string => change.fields.map((field) => field.field).join(', ');

function changeBody(change: PlannedChange, context: BlockContext, compact: boolean): string[] {
  const lines: string[] = [];
  // A mass delete is a plan-wide matter (the tag in the summary says it); protection belongs to the task.
  if (context.blockedBy.includes(PROTECT_TAG)) {
    const verb = change.action === 'replace' ? 'replace' : 'delete';
    lines.push(
      `> ⛔ **Blocked by protect: the task has protect: true, so titan will not ${verb} it and this plan is refused.**`,
      '',
    );
  }
  for (const warning of [...change.warnings, ...evidenceWarnings(change)])
    lines.push(`> ⚠️ ${markdownText(warning)}`, '');
  if (change.action === 'adopt') {
    lines.push('An unmanaged live task equals the manifest: titan records its id (no API write).', '');
  }
  if (change.action === 'delete' && !change.vanished) {
    const verb = context.blockedBy.length > 0 ? 'would be deleted' : 'will be deleted';
    lines.push(`Task ${code(change.name)} ${verb} from the service:`, '');
    lines.push('| field | value |', '|---|---|');
    for (const [label, text] of [...deletedTaskRows(change), ...impactRows(change.impact)])
      lines.push(`| ${markdownText(label)} | ${code(text)} |`);
    lines.push('');
  } else if (change.action === 'replace' && change.impact !== undefined) {
    lines.push(
      `Replacing deletes the live task ${code(change.id ?? '')} first:`,
      '',
      '| field | value |',
      '|---|---|',
    );
    for (const [label, text] of impactRows(change.impact))
      lines.push(`| ${markdownText(label)} | ${code(text)} |`);
    lines.push('');
  }
  if (compact) {
    if (change.fields.length > 0) {
      lines.push('_Field changes omitted to keep this comment within the size limit; see `titan plan`._');
    }
  } else lines.push(...fieldLines(change, context.sameAs));
  lines.push(...historyLines(change));
  if (lines.length === 0) lines.push('No field changes.');
  while (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The history check of a changed output_schema: its headline, then a table of violation groups. */
function historyLines(change: PlannedChange): string[] {
  const history = change.history;
  if (history === undefined) return [];
  const failing = history.check.failing > 0;
  const head = markdownText(historySummary(history));
  const lines = [failing ? `**Recent records:** ⚠️ **${head}**` : `**Recent records:** ${head}`, ''];
  if (history.check.violations.length > 0) {
    lines.push('| where | problem | records | example |', '|---|---|---|---|');
    for (const group of history.check.violations) {
      const example = group.example === undefined ? '' : code(inlineValue(group.example));
      lines.push(`| ${code(group.path)} | ${markdownText(group.message)} | ${group.count} | ${example} |`);
    }
    if (history.check.more_groups > 0) lines.push(`| … | ${history.check.more_groups} more kinds | | |`);
    lines.push('');
  }
  return lines;
}

function fieldLines(change: PlannedChange, sameAs: string | undefined): string[] {
  const lines: string[] = [];
  const creating = change.action === 'create';
  const inline = change.fields.filter((field) => !isBlockField(field));
  if (inline.length > 0) {
    lines.push(
      creating ? '| field | value |' : '| field | before | after |',
      creating ? '|---|---|' : '|---|---|---|',
    );
    for (const field of inline) {
      const notes = field.notes.map((note) => markdownText(note.replace(/ -> /g, ' → '))).join('<br>');
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
    const same = field.field === 'output_schema' ? sameAs : undefined;
    lines.push(...blockField(field, creating, fieldSourceText(change, field), same), '');
  }
  return lines;
}

function blockField(
  field: FieldChange,
  creating: boolean,
  where: string | undefined,
  sameAs: string | undefined,
): string[] {
  const verdict =
    field.compatibility === 'breaking'
      ? ` · ⚠️ **breaking**${where === undefined ? '' : ` · ${code(where)}`}`
      : field.compatibility === 'compatible'
        ? ' · compatible'
        : '';
  const view = fieldView(field, sameAs === undefined ? { creating } : { creating, sameAs });
  if (view.kind === 'same') return [`**${markdownText(field.field)}**: same as ${code(view.as)}`];
  const lines = [`**${markdownText(field.field)}**${verdict}`];
  if (field.notes.length > 0) lines.push('', ...field.notes.map((note) => `- ${markdownText(note)}`));
  if (view.kind === 'block') lines.push('', ...markdownFence(view.text.replace(/\n$/, ''), view.language));
  else if (view.kind === 'lines' || view.kind === 'diff')
    lines.push('', ...markdownFence(view.lines.join('\n'), 'diff'));
  return lines;
}

function footerSection(plan: Plan): string {
  const lines = renderFooterLines(plan).map(markdownText);
  return lines.length > 0 ? `\n${lines.join('  \n')}\n` : '';
}

const cellValue = (value: JsonValue | undefined): string => code(inlineValue(value));

const code = markdownCode;

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
