/**
 * The pull-request comment cannot be forged by manifest or service text. Plans whose task keys, names, URLs,
 * objectives and output_schema property names and enum values are hostile strings are rendered to markdown, the
 * markdown is rendered to HTML by GFM renderers — micromark with its GFM extensions (a dependency-free, CommonMark-
 * and GFM-spec compliant parser, so the test runs everywhere) and, where the `cmark-gfm` binary is installed,
 * GitHub's own cmark-gfm — with raw HTML passed through as GitHub does before sanitising, and the HTML is parsed as a
 * browser would (parse5). Compared as text:
 * - the elements are exactly those of the same plan with every hostile string replaced by letters (so exactly the
 *   elements titan emitted: no link, image, emphasis, strikethrough, nested code, heading, table break, HTML…);
 * - the text shows every hostile value's characters (line breaks as spaces).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { parseFragment, type DefaultTreeAdapterTypes } from 'parse5';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/core/json.js';
import type { TaskSpec } from '../../../src/core/model.js';
import { planChanges } from '../../../src/core/plan/planner.js';
import { renderPlanMarkdown } from '../../../src/render/plan-markdown.js';
import { desired, entry, live, lockOf, ORIGIN, spec } from './fixtures.js';

type Node = DefaultTreeAdapterTypes.ChildNode;

/** micromark with GFM; raw HTML passed through as GitHub does before it sanitises. */
const micromarkHtml = (markdown: string): string =>
  micromark(markdown, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

/** GitHub's own parser, where installed (Debian's `cmark-gfm` package): it links e-mail addresses differently. */
const cmarkGfmHtml = (markdown: string): string =>
  execFileSync(
    'cmark-gfm',
    [
      '--unsafe',
      ...['table', 'strikethrough', 'autolink', 'tagfilter', 'tasklist'].flatMap((e) => ['-e', e]),
    ],
    { input: markdown, encoding: 'utf8' },
  );
const hasCmarkGfm = spawnSync('cmark-gfm', ['--version']).status === 0;

/** Elements in document order, each as `depth:tag`. */
function elements(html: string): string[] {
  const out: string[] = [];
  const walk = (nodes: Node[], depth: number): void => {
    for (const node of nodes) {
      if ('tagName' in node) {
        out.push(`${depth}:${node.tagName}`);
        walk(node.childNodes, depth + 1);
      }
    }
  };
  walk(parseFragment(html).childNodes, 0);
  return out;
}

function textContent(html: string): string {
  const parts: string[] = [];
  const walk = (nodes: Node[]): void => {
    for (const node of nodes) {
      if (node.nodeName === '#text' && 'value' in node) parts.push(node.value);
      else if ('childNodes' in node) walk(node.childNodes);
    }
  };
  walk(parseFragment(html).childNodes);
  return parts.join('');
}

/** The strings that have forged elements into comments, or would if escaping slipped. */
const ATTACKS = [
  '[✅ approved by sec](https://evil.example/x)',
  '![](https://evil.example/pixel.png)',
  '*EU*',
  '**all**',
  '~~old~~',
  '`nested` code',
  '``',
  '_x_',
  '<img src=x onerror=alert(1)>',
  '</code></b></summary></details><h1>x</h1>',
  '<!-- hidden',
  '&amp; &#96; &lt;b&gt;',
  'https://shop.example.com/a?q=*x*',
  'www.evil.example',
  'sec@evil.example',
  'a | b | c',
  '\\|',
  '\\',
  'x\n\n# heading',
  'x\r| --- |',
  '- item\n> quote',
  '1. one',
  '```\n</details>\n```',
  '[x]: https://evil.example',
  '<https://evil.example>',
  '\\*not em\\*',
  'trailing  ',
  '  leading',
  '\tx\t',
  '$$x$$',
  '[^1]',
  '- [ ] task',
  '===',
  '<details><summary>y</summary>',
  '{+ins+} [-del-]',
];

/** Letters in place of everything but white space: same shape, nothing markdown could read. */
const letters = (text: string): string => text.replace(/[^\s]/g, 'x');

interface Values {
  key: string;
  name: string;
  url: string;
  objective: string;
  property: string;
  enumValue: string;
}

/** A plan with hostile text everywhere a manifest or the service can put text. */
function hostilePlan(v: Values) {
  const schema = (withProperty: boolean): JsonObject => ({
    type: 'object',
    properties: {
      ...(withProperty ? { [`p${v.property}`]: { type: 'string' } } : {}),
      kind: { type: 'string', enum: withProperty ? ['a', `e${v.enumValue}`] : ['a'] },
    },
  });
  const before: TaskSpec = spec({ output_schema: schema(true) });
  const after: TaskSpec = spec({
    name: v.name,
    urls: [v.url],
    objective: v.objective,
    output_schema: schema(false),
  });
  const gone: TaskSpec = spec({ name: v.name, urls: [v.url], objective: v.objective });
  const created: TaskSpec = spec({
    name: v.name,
    urls: [v.url],
    objective: `${'a'.repeat(70)} ${v.objective}`,
    output_schema: schema(true),
  });
  return planChanges(
    [desired(`k1${v.key}`, after), desired(`k3${v.key}`, created)],
    [live('t1', before), live('t2', gone)],
    lockOf({
      [`k1${v.key}`]: entry('t1', before, { file: `tasks/k1${v.key}.yaml` }),
      [`k2${v.key}`]: entry('t2', gone, { file: `tasks/k2${v.key}.yaml` }),
    }),
    { origin: ORIGIN, allowMassDelete: true },
  );
}

function check(v: Values, toHtml: (markdown: string) => string): void {
  const safe: Values = {
    key: letters(v.key),
    name: letters(v.name),
    url: letters(v.url),
    objective: letters(v.objective),
    property: letters(v.property),
    enumValue: letters(v.enumValue),
  };
  const html = toHtml(renderPlanMarkdown(hostilePlan(v)));
  expect(elements(html)).toEqual(elements(toHtml(renderPlanMarkdown(hostilePlan(safe)))));
  const text = textContent(html);
  const shown = (value: string): string => value.replace(/\r\n|\r|\n/g, ' ');
  expect(text).toContain(shown(`k1${v.key}`));
  expect(text).toContain(shown(`k2${v.key}`));
  expect(text).toContain(shown(`tasks/k2${v.key}.yaml`));
  expect(text).toContain(JSON.stringify(v.name));
  expect(text).toContain(`[${JSON.stringify(v.url)}]`);
  expect(text).toContain(shown(`property \`p${v.property}\` removed`));
  expect(text).toContain(`enum value removed: ${JSON.stringify(`e${v.enumValue}`)}`);
}

/** Short enough that hostile and letter forms take the same layout decisions (inline vs block). */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(...'*_~`[]()!<>&#|\\-+=:/.@"\'{}$^%; \t\n\r'.split('')),
      fc.constantFrom('https://', 'www.', '<b>', '</details>', '&amp;', '![', '](', '``', '-->', 'a@b.c'),
      fc.string({ maxLength: 3, unit: 'grapheme-ascii' }),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => parts.join('').slice(0, 12))
  .filter((s) => s.trim() !== '' && !s.includes('\u0000'));

/** micromark always; cmark-gfm too where it is installed. */
const renderers: [string, (markdown: string) => string][] = [
  ['micromark', micromarkHtml],
  ...(hasCmarkGfm ? [['cmark-gfm', cmarkGfmHtml] as [string, (markdown: string) => string]] : []),
];

describe.each(renderers)('the markdown plan shows manifest text as text (%s)', (_name, toHtml) => {
  it.each(ATTACKS)('%j', (attack) => {
    const first = attack.slice(0, 12);
    check(
      { key: first, name: attack, url: first, objective: first, property: first, enumValue: attack },
      toHtml,
    );
  });

  it('for any hostile strings in keys, names, URLs, objectives and schemas', () => {
    fc.assert(
      fc.property(
        fc.record({
          key: hostile,
          name: hostile,
          url: hostile,
          objective: hostile,
          property: hostile,
          enumValue: hostile,
        }),
        (values) => check(values, toHtml),
      ),
      { numRuns: 150 },
    );
  });

  it('keeps a cut URL from becoming a link to a mangled address', () => {
    const url = `https://shop.example.com/${'p'.repeat(70)}?q=*x*`;
    const plan = planChanges(
      [],
      [live('t2', spec({ urls: [url, url] }))],
      lockOf({ gone: entry('t2', spec({ urls: [url, url] })) }),
      { origin: ORIGIN },
    );
    const html = toHtml(renderPlanMarkdown(plan));
    expect(html).not.toContain('<a ');
    expect(textContent(html)).toContain('https://shop.example.com/ppp');
  });
});
