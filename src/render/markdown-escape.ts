/**
 * Putting text from manifests or the service into GitHub-flavoured markdown so that it shows exactly its
 * characters and creates no element: one function per context a value can land in. Pure.
 *
 * - `markdownText`: prose — a paragraph, list item, blockquote line, table cell, `**…**`.
 * - `markdownCode`: inline code in prose or a table cell (an HTML `<code>` whose content is `markdownText`: GFM
 *   parses markdown inside raw `<code>`, so the content needs the same escaping as prose).
 * - `htmlText`: text inside an HTML block (the `<details><summary>…</summary>` line), where GFM parses no
 *   markdown and only HTML's own characters matter.
 * - `markdownFence`: a fenced code block whose fence no line of the body can close.
 *
 * Line breaks in a value are shown as spaces in the first three: a line break would end a table row, a list item or
 * an HTML block. NUL cannot be shown (CommonMark replaces it with U+FFFD).
 *
 * What GitHub does after markdown — @mentions, `#123` references, `:emoji:` shortcodes — works on text outside
 * `<code>` and `<pre>`: a value that must not trigger them goes in `markdownCode`, `htmlText` inside `<code>`, or
 * a fence.
 */

const LINE_BREAK = /\r\n|\r|\n/g;
/**
 * ASCII punctuation that can start or close markdown anywhere in a line: emphasis, strikethrough, code, links,
 * images, footnotes, HTML, entities, table cells, math (`$`), and the `:` and `@` every autolink needs. CommonMark
 * lets a backslash escape each to itself. The rest of the ASCII punctuation (`-`, `.`, `/`, `(`, `,`, …) only means
 * something at the start of a line or after one of these, so it stays as it is, readable, except where noted.
 */
const INLINE_SYNTAX = /[\\`*_[\]<>&|~$:@!#^{}]/g;

/**
 * Prose: markdown punctuation backslash-escaped so no emphasis, link, image, autolink, HTML, entity, table break or
 * code span can start; a value's first character and a leading `1.` / `1)` escaped too (a value at a line's start
 * could otherwise open a heading, list, quote or thematic break); the dot of `www.` escaped (an autolink without a
 * scheme); an empty HTML comment before each `@` (cmark-gfm links e-mail addresses in the text after escapes are
 * resolved, so an escape alone does not stop it; a comment is no element and shows nothing); line breaks as spaces; spaces and tabs at either end as character references (markdown strips them, and
 * two trailing spaces would make a line break).
 */
export function markdownText(text: string): string {
  const escaped = text
    .replace(LINE_BREAK, ' ')
    .replace(INLINE_SYNTAX, (c) => (c === '@' ? '<!-- -->\\@' : `\\${c}`))
    .replace(/(www)\./gi, '$1\\.')
    .replace(/^(\d+)([.)])/, '$1\\$2')
    .replace(/^[!-/:-@[-`{-~]/, (c) => (c === '\\' ? c : `\\${c}`));
  return escaped.replace(/^[ \t]+|[ \t]+$/g, (run) =>
    [...run].map((c) => (c === ' ' ? '&#32;' : '&#9;')).join(''),
  );
}

/** Inline code in prose or a table cell. */
export const markdownCode = (text: string): string => `<code>${markdownText(text)}</code>`;

/** Text inside an HTML block (or an attribute value there): HTML's special characters as references. */
export function htmlText(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(LINE_BREAK, ' ');
}

/**
 * A fenced code block, as lines: the fence is longer than any backtick run in the body, so no body line can close
 * it; the info string is titan's (`diff`, `yaml`, `text`).
 */
export function markdownFence(body: string, language: string): string[] {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${language}`, body, fence];
}
