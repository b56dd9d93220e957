/**
 * Diagnostics for people and machines. Pure renderers over data:
 * - text: grouped by file, compiler style (`error[CODE]: message`, `--> file:line:col`, the source line with a
 *   caret under the problem, the hint), colour only when asked;
 * - json: an array of diagnostics with stable fields;
 * - github: workflow commands (`::error file=…,line=…,col=…::…`) that GitHub Actions turns into annotations.
 */
import path from 'node:path';
import type { Diagnostic } from '../core/diagnostics.js';
import { escapeData, escapeProperty } from './github.js';
import { plural } from './plan-shared.js';

export interface TextOptions {
  color: boolean;
  /** File texts by the name diagnostics use; a diagnostic whose file is here gets a source excerpt. */
  sources?: ReadonlyMap<string, string>;
}

const ANSI = {
  bold: '\u001b[1m',
  underline: '\u001b[4m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  cyan: '\u001b[36m',
  green: '\u001b[32m',
  dim: '\u001b[2m',
  reset: '\u001b[0m',
} as const;

type Paint = (style: keyof typeof ANSI | (keyof typeof ANSI)[], text: string) => string;

const painter =
  (color: boolean): Paint =>
  (style, text) =>
    color
      ? `${(Array.isArray(style) ? style : [style]).map((s) => ANSI[s]).join('')}${text}${ANSI.reset}`
      : text;

export function renderDiagnostics(diagnostics: readonly Diagnostic[], options: TextOptions): string {
  const paint = painter(options.color);
  const blocks: string[] = [];
  // Each file's line starts, found once: a file with thousands of diagnostics is not rescanned for each.
  const indexed = new Map<string, SourceIndex | undefined>();
  const sourceOf = (file: string | undefined): SourceIndex | undefined => {
    if (file === undefined) return undefined;
    if (!indexed.has(file)) {
      const text = options.sources?.get(file);
      indexed.set(file, text === undefined ? undefined : { text, lineStarts: lineStartsOf(text) });
    }
    return indexed.get(file);
  };
  let currentFile: string | undefined;
  for (const diagnostic of diagnostics) {
    const block = renderOne(diagnostic, sourceOf(diagnostic.file), paint);
    if (diagnostic.file !== undefined && diagnostic.file !== currentFile) {
      currentFile = diagnostic.file;
      blocks.push(`${paint(['bold', 'underline'], diagnostic.file)}\n${block}`);
    } else blocks.push(block);
  }
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

interface SourceIndex {
  text: string;
  /** Offset of the first character of each line (index 0 = line 1). */
  lineStarts: number[];
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function renderOne(d: Diagnostic, source: SourceIndex | undefined, paint: Paint): string {
  const tone = d.severity === 'error' ? 'red' : 'yellow';
  const lines = [
    `${paint([tone, 'bold'], `${d.severity}[${d.code}]`)}${paint('bold', `: ${singleLine(d.message)}`)}`,
  ];
  if (d.file !== undefined) {
    const where = d.line !== undefined ? `${d.file}:${d.line}:${d.column ?? 1}` : d.file;
    const excerpt = d.line !== undefined && source !== undefined ? sourceLine(source, d.line) : undefined;
    const gutter = excerpt === undefined ? 1 : String(d.line).length;
    const pad = ' '.repeat(gutter);
    lines.push(`${pad}${paint('blue', '-->')} ${where}`);
    if (excerpt !== undefined) {
      const column = Math.max(1, Math.min(d.column ?? 1, excerpt.length + 1));
      const before = excerpt.slice(0, column - 1).replace(/[^\t]/g, ' ');
      lines.push(`${pad} ${paint('blue', '|')}`);
      lines.push(`${paint('blue', `${d.line} |`)} ${excerpt}`);
      lines.push(
        `${pad} ${paint('blue', '|')} ${before}${paint([tone, 'bold'], '^'.repeat(tokenLength(excerpt, column - 1)))}`,
      );
    }
    if (d.hint) lines.push(`${pad} ${paint('blue', '=')} ${paint('cyan', `hint: ${singleLine(d.hint)}`)}`);
  } else if (d.hint) {
    lines.push(`  ${paint('blue', '=')} ${paint('cyan', `hint: ${singleLine(d.hint)}`)}`);
  }
  return lines.join('\n');
}

const MAX_EXCERPT = 200;

function sourceLine(source: SourceIndex, line: number): string | undefined {
  const start = source.lineStarts[line - 1];
  if (start === undefined) return undefined;
  const next = source.lineStarts[line];
  // Only as much of a huge line as an excerpt shows.
  const end = Math.min(next === undefined ? source.text.length : next - 1, start + MAX_EXCERPT + 1);
  const text = source.text.slice(start, end).replace(/\r$/, '');
  return stripControl(text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT)}…` : text);
}

/** The width of the token starting at `index`: a quoted string, or up to a space, comma, bracket or colon. */
function tokenLength(line: string, index: number): number {
  const first = line[index];
  if (first === undefined) return 1;
  if (first === '"' || first === "'") {
    const close = line.indexOf(first, index + 1);
    return close < 0 ? line.length - index : close - index + 1;
  }
  if (line.startsWith('${', index)) {
    const close = line.indexOf('}', index);
    return close < 0 ? line.length - index : close - index + 1;
  }
  let end = index;
  while (end < line.length && !endsToken(line, end)) end++;
  return Math.max(1, end - index);
}

/** A token ends at a space, a comma, a closing bracket, a comment, or a colon that ends a key. */
function endsToken(line: string, at: number): boolean {
  const char = line[at] as string;
  if (/[\s,\]}#]/.test(char)) return true;
  const next = line[at + 1];
  return char === ':' && (next === undefined || /\s/.test(next));
}

/** Terminal control characters from a file must not reach the terminal. */
const stripControl = (text: string): string => text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '�');

const singleLine = (text: string): string => stripControl(text.replace(/\r?\n/g, ' '));

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[]): string {
  const rows = diagnostics.map((d) => ({
    file: d.file ?? null,
    line: d.line ?? null,
    column: d.column ?? null,
    code: d.code,
    severity: d.severity,
    message: d.message,
    path: d.path ?? null,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  }));
  return `${JSON.stringify(rows, null, 2)}\n`;
}

export interface GithubOptions {
  /** The folder diagnostics' relative paths start from. */
  cwd: string;
  /** `GITHUB_WORKSPACE`, the repository checkout annotations' paths are relative to (default: `cwd`). */
  root?: string;
}

/**
 * GitHub workflow commands: one annotation per diagnostic, on the exact line. GitHub places an annotation only
 * when its path is relative to the repository checkout, so paths are made relative to it when `options` say
 * where that is.
 */
export function renderDiagnosticsGithub(diagnostics: readonly Diagnostic[], options?: GithubOptions): string {
  const annotated = (file: string): string => {
    if (!options) return file;
    const absolute = path.resolve(options.cwd, file);
    const relative = path.relative(path.resolve(options.cwd, options.root ?? options.cwd), absolute);
    return relative.startsWith('..') || path.isAbsolute(relative)
      ? absolute
      : relative.split(path.sep).join('/');
  };
  return diagnostics
    .map((d) => {
      const properties: string[] = [];
      if (d.file !== undefined) properties.push(`file=${escapeProperty(annotated(d.file))}`);
      if (d.line !== undefined) properties.push(`line=${d.line}`);
      if (d.column !== undefined) properties.push(`col=${d.column}`);
      properties.push(`title=${escapeProperty(d.code)}`);
      const message = d.hint ? `${d.message}\n${d.hint}` : d.message;
      return `::${d.severity === 'error' ? 'error' : 'warning'} ${properties.join(',')}::${escapeData(message)}\n`;
    })
    .join('');
}

export interface ValidationSummary {
  taskCount: number;
  fileCount: number;
  diagnostics: readonly Diagnostic[];
  /** Warnings fail too. */
  strict: boolean;
  color: boolean;
}

/** `✓ 12 tasks in 5 files are valid` or `✗ 3 errors, 1 warning in 2 files`. */
export function renderValidationSummary(summary: ValidationSummary): string {
  const paint = painter(summary.color);
  const errors = summary.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = summary.diagnostics.length - errors;
  const failed = errors > 0 || (summary.strict && warnings > 0);
  if (!failed) {
    const verb = summary.taskCount === 1 ? 'is' : 'are';
    const note = warnings > 0 ? ` (${plural(warnings, 'warning')})` : '';
    return `${paint(['green', 'bold'], '✓')} ${plural(summary.taskCount, 'task')} in ${plural(summary.fileCount, 'file')} ${verb} valid${note}\n`;
  }
  // Only diagnostics about a file count files (a missing path or "no manifests" is about none).
  const files = new Set(summary.diagnostics.flatMap((d) => (d.file === undefined ? [] : [d.file]))).size;
  const parts = [
    errors > 0 ? plural(errors, 'error') : '',
    warnings > 0 ? plural(warnings, 'warning') : '',
  ].filter(Boolean);
  const strictNote = errors === 0 ? ' (--strict)' : '';
  const where = files > 0 ? ` in ${plural(files, 'file')}` : '';
  return `${paint(['red', 'bold'], '✗')} ${parts.join(', ')}${where}${strictNote}\n`;
}

/** `titan validate --list-codes`: every diagnostic code with its meaning, one per line, aligned. */
export function renderCodeList(meanings: Readonly<Record<string, string>>): string {
  const codes = Object.keys(meanings).sort();
  const width = Math.max(...codes.map((c) => c.length));
  return codes.map((code) => `${code.padEnd(width)}  ${meanings[code]}\n`).join('');
}
