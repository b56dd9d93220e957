/**
 * The yaml library's syntax errors, said the way a person fixes them: one diagnostic per mistake, at the line
 * that holds it (the opening bracket of a list never closed, the over-indented line, the unquoted `*` of a cron
 * expression), with a hint. Pure.
 */
import type { YAMLError } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import { Code } from './codes.js';
import { unclosedBracket, unclosedQuote } from './yaml-scan.js';

export interface ErrorSource {
  file: string;
  text: string;
  /** Where the document starts in `text`. */
  documentStart: number;
  position(offset: number): { line: number; column: number };
}

export const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

const isAliasError = (error: YAMLError): boolean =>
  error.code === 'BAD_ALIAS' || (error.code === 'UNEXPECTED_TOKEN' && /alias/i.test(error.message));

/** Diagnostics for a document's parse errors: the mistakes, not every complaint they cause. */
export function diagnosticsFromYamlErrors(errors: readonly YAMLError[], source: ErrorSource): Diagnostic[] {
  const sorted = [...errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const multiline = new Set(sorted.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
  const found: Described[] = [];
  const lines = new Set<number>();
  for (const error of sorted) {
    // "Implicit keys need to be on a single line" and "nested mappings are not allowed" explain one mistake.
    if (error.code === 'BLOCK_AS_IMPLICIT_KEY' && multiline.has(error.pos[0])) continue;
    const described =
      error.code === 'MULTILINE_IMPLICIT_KEY' ? overIndented(error, source) : describeError(error, source);
    if (described.unclosedAt !== undefined) {
      // A bracket or a quote never closed swallows what follows it: later complaints are its echoes.
      const opener = described.unclosedAt;
      return [...found.filter((f) => f.offset < opener), described].map((f) => f.diagnostic);
    }
    // The parser often explains one mistake several times on one line: one message per line is enough.
    const line = described.diagnostic.line ?? 0;
    if (lines.has(line)) continue;
    lines.add(line);
    found.push(described);
  }
  return found.map((f) => f.diagnostic);
}

interface Described {
  diagnostic: Diagnostic;
  /** Where the mistake is in the text. */
  offset: number;
  /** The opening bracket or quote of a collection or string never closed. */
  unclosedAt?: number;
}

function describeError(error: YAMLError, source: ErrorSource): Described {
  const at = (offset: number, message: string, hint?: string): Described => ({
    diagnostic: syntaxError(source, offset, message, hint),
    offset,
  });
  if (isAliasError(error)) return aliasValue(error, source);
  switch (error.code) {
    case 'BAD_INDENT':
      if (/^Flow (sequence|map)/.test(error.message)) return unclosedFlow(error, source);
      if (/same column/.test(error.message))
        return at(
          error.pos[0],
          'this key is not aligned with the keys above it',
          'the keys of one mapping start at the same column',
        );
      return at(error.pos[0], `bad indentation: ${lowerFirst(firstLine(error.message))}`);
    case 'MISSING_CHAR': {
      if (/quote/.test(error.message)) {
        const opening = unclosedQuote(source.text, source.documentStart, error.pos[0] + 1);
        return at(
          opening ?? error.pos[0],
          'this quoted string is never closed',
          'end it with the same quote',
        );
      }
      if (/flow (sequence|map)/i.test(error.message)) return unclosedFlow(error, source);
      return at(error.pos[0], `YAML syntax error: ${lowerFirst(firstLine(error.message))}`);
    }
    case 'TAB_AS_INDENT':
      return at(
        error.pos[0],
        'a tab indents this line; YAML indents with spaces only',
        'replace the tab with spaces',
      );
    case 'BLOCK_AS_IMPLICIT_KEY':
      return at(
        error.pos[0],
        'a plain value cannot hold ": " (YAML reads it as the start of a mapping)',
        'quote the value, e.g. objective: "Extract: the price"',
      );
    case 'BAD_DQ_ESCAPE':
      return at(
        error.pos[0],
        `${lowerFirst(firstLine(error.message))} in a double-quoted string`,
        'write \\\\ for a backslash, or use single quotes (which have no escapes)',
      );
    default:
      return at(error.pos[0], `YAML syntax error: ${lowerFirst(firstLine(error.message))}`);
  }
}

const firstLine = (message: string): string => message.split('\n')[0] ?? message;

function syntaxError(source: ErrorSource, offset: number, message: string, hint?: string): Diagnostic {
  return {
    code: Code.yamlSyntax,
    severity: 'error',
    message,
    ...(hint ? { hint } : {}),
    file: source.file,
    ...source.position(offset),
  };
}

/** `schedule: * * * * *`: a value starting with `*` is an alias; point at the first `*` of the line. */
function aliasValue(error: YAMLError, source: ErrorSource): Described {
  const lineStart = source.text.lastIndexOf('\n', error.pos[0] - 1) + 1;
  const lineEnd = source.text.indexOf('\n', lineStart);
  const line = source.text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const star = /(?:^|[\s:[{,-])(\*)/.exec(line);
  const offset = star ? lineStart + star.index + star[0].length - 1 : error.pos[0];
  const cron = /^\s*-?\s*schedule\s*:/.test(line);
  const message = cron
    ? 'a value starting with "*" is read as a YAML alias; quote the cron expression'
    : 'a value starting with "*" is read as a YAML alias; quote the value';
  const hint = cron ? 'schedule: "* * * * *"' : 'write it in quotes, e.g. "*value"';
  return { diagnostic: syntaxError(source, offset, message, hint), offset };
}

/** A `[`/`{` never closed: the parser notices lines later; the mistake is at the opening bracket. */
function unclosedFlow(error: YAMLError, source: ErrorSource): Described {
  const opening = unclosedBracket(source.text, source.documentStart, error.pos[0]) ?? error.pos[0];
  const bracket = source.text[opening];
  const closer = bracket === '{' ? '}' : ']';
  const message = `this ${bracket === '{' ? '{ mapping' : '[ list'} is never closed with ${closer}`;
  const hint = `add the missing ${closer}; a YAML list or mapping in brackets that spans lines must indent its lines`;
  return { diagnostic: syntaxError(source, opening, message, hint), offset: opening, unclosedAt: opening };
}

/**
 * `execution_type: single` followed by `    objective: x`: the parser reads both lines as one key and complains
 * about the first; the mistake is the over-indented second line.
 */
function overIndented(error: YAMLError, source: ErrorSource): Described {
  const firstStart = source.text.lastIndexOf('\n', error.pos[0] - 1) + 1;
  const next = source.text.indexOf('\n', error.pos[0]) + 1;
  const lineStart = next > 0 && next <= error.pos[1] ? next : firstStart;
  const indent = spacesAt(source.text, lineStart);
  const siblingIndent = spacesAt(source.text, firstStart);
  const target = lineStart > firstStart ? lineStart + indent : error.pos[0];
  const diagnostic =
    lineStart > firstStart
      ? syntaxError(
          source,
          target,
          'this line is indented more than the line above it, so YAML reads both as one value',
          `indent it by ${siblingIndent} space${siblingIndent === 1 ? '' : 's'}, like the key above, or by more under a key that ends with ":"`,
        )
      : syntaxError(
          source,
          target,
          'a key must be written on one line',
          'put the key and its ":" on one line',
        );
  return { diagnostic, offset: target };
}

function spacesAt(text: string, offset: number): number {
  let end = offset;
  while (text[end] === ' ') end++;
  return end - offset;
}
