/**
 * A cheap character scan of YAML text, run before the parser: it refuses bracket bombs and files holding too many
 * values in linear time (the parser spends seconds on a few megabytes of `[1,1,1,…]`), and finds the opening
 * bracket or quote a syntax error is about. It skips quoted strings and comments, so brackets in text never
 * count. Pure.
 */

export interface ScanLimits {
  /** Deeper nesting of flow collections is refused. */
  maxDepth: number;
  /** More values (an upper estimate of the parser's nodes) are refused. */
  maxValues: number;
}

export type ScanProblem = { kind: 'depth' | 'values'; offset: number };

const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;
const CR = 13;

/**
 * Walks `text` from `start` to `end`, calling `onBracket` for each flow bracket and `onQuote` for each quoted
 * string (with the offset of its closing quote, or `text.length` when it is never closed). Returning true from a
 * callback stops the walk.
 */
function walkFlow(
  text: string,
  start: number,
  end: number,
  visit: {
    onOpen?(offset: number, depth: number): boolean | void;
    onClose?(offset: number, depth: number): boolean | void;
    onComma?(offset: number, depth: number): boolean | void;
    onQuote?(offset: number, close: number): boolean | void;
    /** A character that starts block structure (`- `, `: `) or a new line with content, outside flow. */
    onBlock?(offset: number): boolean | void;
  },
): void {
  let depth = 0;
  let previous = NEWLINE; // the last character that is not a space or a tab
  let lineHasContent = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const opensValue = depth > 0 || isValueStart(previous);
    if (previous === NEWLINE && text.startsWith('---', i)) depth = 0;
    if ((c === 0x5b || c === 0x7b) && opensValue) {
      depth++;
      if (visit.onOpen?.(i, depth)) return;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      if (visit.onClose?.(i, depth)) return;
      depth--;
    } else if (c === 0x2c && depth > 0) {
      if (visit.onComma?.(i, depth)) return;
    } else if ((c === 0x22 || c === 0x27) && opensValue) {
      const close = endOfQuoted(text, i);
      if (visit.onQuote?.(i, close)) return;
      i = close;
    } else if (c === 0x23 && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      const lineEnd = text.indexOf('\n', i);
      i = (lineEnd < 0 ? text.length : lineEnd) - 1;
      continue;
    } else if (depth === 0 && visit.onBlock) {
      const next = text.charCodeAt(i + 1);
      const indicator = (c === 0x2d || c === 0x3a) && (isSpace(next) || Number.isNaN(next));
      const newContent = !lineHasContent && !isSpace(c);
      if ((indicator || newContent) && visit.onBlock(i)) return;
    }
    if (c === NEWLINE) lineHasContent = false;
    else if (!isSpace(c)) lineHasContent = true;
    if (c !== SPACE && c !== TAB && c !== CR) previous = c;
  }
}

/** After these, a bracket or a quote opens a value: `:`, `-`, `?`, `,` or the start of a line. */
const isValueStart = (c: number): boolean =>
  c === 0x3a || c === 0x2d || c === 0x3f || c === 0x2c || c === NEWLINE;

const isSpace = (c: number): boolean => c === SPACE || c === TAB || c === NEWLINE || c === CR;

/** Offset of the closing quote of the string opening at `start`, or `text.length` when it is never closed. */
function endOfQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === '"' && c === '\\') i++;
    else if (c === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/** The first place where flow nesting or the number of values goes beyond the limits. */
export function scanYamlText(text: string, limits: ScanLimits): ScanProblem | undefined {
  let values = 0;
  let problem: ScanProblem | undefined;
  const count = (offset: number): boolean => {
    if (++values <= limits.maxValues) return false;
    problem = { kind: 'values', offset };
    return true;
  };
  walkFlow(text, 0, text.length, {
    onOpen(offset, depth) {
      if (depth > limits.maxDepth) {
        problem = { kind: 'depth', offset };
        return true;
      }
      return count(offset);
    },
    onComma: count,
    onQuote: count,
    onBlock: count,
  });
  return problem;
}

/** The outermost flow bracket opened between `start` and `end` and not closed before `end`. */
export function unclosedBracket(text: string, start: number, end: number): number | undefined {
  const open: number[] = [];
  walkFlow(text, start, end, {
    onOpen(offset) {
      open.push(offset);
    },
    onClose() {
      open.pop();
    },
  });
  return open[0];
}

/** The opening quote of a string that starts between `start` and `end` and is not closed before `end`. */
export function unclosedQuote(text: string, start: number, end: number): number | undefined {
  let found: number | undefined;
  walkFlow(text, start, end, {
    onQuote(offset, close) {
      if (close < end && close < text.length) return false;
      found = offset;
      return true;
    },
  });
  return found;
}
