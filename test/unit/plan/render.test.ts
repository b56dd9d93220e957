import { describe, expect, it } from 'vitest';
import type { DesiredTask, LiveTask, TaskSpec } from '../../../src/core/model.js';
import type { LockEntry } from '../../../src/core/lock/model.js';
import { renderPlanAnnotations } from '../../../src/render/github.js';
import { planChanges } from '../../../src/core/plan/planner.js';
import { MARKDOWN_LIMIT, renderPlanMarkdown } from '../../../src/render/plan-markdown.js';
import { renderPlanText } from '../../../src/render/plan-text.js';
import { renderSummaryLine } from '../../../src/render/plan-shared.js';
import { markdownText } from '../../../src/render/markdown-escape.js';
import { desired, entry, live, lockOf, ORIGIN, spec } from './fixtures.js';

/** A big plan: `creates` new tasks with large schemas, `deletes` removed manifests. */
function bigPlan(creates: number, deletes: number) {
  const d: DesiredTask[] = [];
  const l: LiveTask[] = [];
  const tasks: Record<string, LockEntry> = {};
  const properties = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [
      `field_${i}`,
      { type: 'string', description: `Field ${i} of the record` },
    ]),
  );
  for (let i = 0; i < creates; i += 1) {
    d.push(
      desired(
        `new-${String(i).padStart(4, '0')}`,
        spec({ name: `New ${i}`, output_schema: { type: 'object', properties } }),
      ),
    );
  }
  for (let i = 0; i < deletes; i += 1) {
    const key = `old-${String(i).padStart(4, '0')}`;
    tasks[key] = entry(`t${i}`, spec({ name: key }), { file: `tasks/${key}.yaml` });
    l.push(live(`t${i}`, spec({ name: key })));
  }
  return planChanges(d, l, lockOf(tasks), { origin: ORIGIN, allowMassDelete: true });
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

/** The plan of one managed task `a` (live `t1`) going from `before` to `after`. */
const update = (before: TaskSpec, after: TaskSpec, extra: Partial<DesiredTask> = {}) =>
  planChanges([desired('a', after, extra)], [live('t1', before)], lockOf({ a: entry('t1', before) }), {
    origin: ORIGIN,
  });

describe('markdown truncation', () => {
  it('stays under the limit, keeps the summary and every destructive change, and says what it left out', () => {
    const plan = bigPlan(300, 40);
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain(`**${markdownText(renderSummaryLine(plan))}**`);
    for (let i = 0; i < 40; i += 1) expect(md).toContain(`<code>old-${String(i).padStart(4, '0')}</code>`);
    expect(md).toMatch(/\d+ more changes not shown/);
    expect(count(md, '<details>')).toBe(count(md, '</details>'));
    expect(renderPlanMarkdown(plan)).toBe(md);
  });

  /** The markdown before the first details block: the summary and the list of destructive and breaking changes. */
  const head = (md: string): string =>
    md.slice(0, md.indexOf('<details>') === -1 ? md.length : md.indexOf('<details>'));

  it('names every one of 1,000 deletions, in compact key lists when full items do not fit', () => {
    const plan = bigPlan(0, 1000);
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    for (let i = 0; i < 1000; i += 1) expect(head(md)).toContain(`\`old-${String(i).padStart(4, '0')}\``);
    expect(head(md)).toContain('> - **delete** (1000): `old-0000`, `old-0001`');
    expect(count(md, '<details>')).toBe(count(md, '</details>'));
  });

  it('keeps every deletion and its details when hundreds of breaking changes compete for the room', () => {
    const properties = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`field_${i}`, { type: 'string', description: `Field ${i}` }]),
    );
    const wide = spec({ output_schema: { type: 'object', properties } });
    const { field_0: _dropped, ...narrower } = properties;
    const narrow = spec({ output_schema: { type: 'object', properties: narrower } });
    const d: DesiredTask[] = [];
    const l: LiveTask[] = [];
    const tasks: Record<string, LockEntry> = {};
    for (let i = 0; i < 340; i += 1) {
      const key = `schema-${String(i).padStart(3, '0')}`;
      d.push(desired(key, narrow));
      l.push(live(`s${i}`, wide));
      tasks[key] = entry(`s${i}`, wide);
    }
    for (let i = 0; i < 20; i += 1) {
      const key = `old-${String(i).padStart(2, '0')}`;
      l.push(live(`o${i}`, spec({ name: key })));
      tasks[key] = entry(`o${i}`, spec({ name: key }));
    }
    const plan = planChanges(d, l, lockOf(tasks), { origin: ORIGIN, allowMassDelete: true });
    expect(plan.summary.breaking).toBe(340);
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    for (let i = 0; i < 20; i += 1) {
      const key = `old-${String(i).padStart(2, '0')}`;
      expect(head(md)).toContain(`<code>${key}</code>`);
      expect(md).toContain(`<code>- delete</code> <b>${key}</b>`);
    }
    for (let i = 0; i < 340; i += 1) expect(head(md)).toContain(`schema-${String(i).padStart(3, '0')}`);
    expect(md).toMatch(/\d+ more changes not shown in detail/);
  });

  it('when even key lists overflow, names what fits and counts the rest', () => {
    const md = renderPlanMarkdown(bigPlan(0, 400), { limit: 3000 });
    expect(md.length).toBeLessThanOrEqual(3000);
    expect(md).toContain('`old-0000`');
    expect(md).toMatch(/… and \d+ more not named/);
  });

  it('with a small budget keeps the destructive list even when no details fit', () => {
    const plan = bigPlan(20, 5);
    const md = renderPlanMarkdown(plan, { limit: 3000 });
    expect(md.length).toBeLessThanOrEqual(3000);
    for (let i = 0; i < 5; i += 1) expect(md).toContain(`old-000${i}`);
  });

  it('cuts one oversized change and closes its code fence', () => {
    const huge = {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`p${i}`, { type: 'string' }])),
    };
    const plan = planChanges([desired('huge', spec({ output_schema: huge }))], [], null, { origin: ORIGIN });
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThan(25_000);
    expect(md).toContain('this change is too long for a comment');
    expect(count(md, '```') % 2).toBe(0);
  });
});

describe('markdown safety', () => {
  it('escapes markdown in the summary line (a targeted glob)', () => {
    const plan = planChanges([desired('prices-eu')], [], null, { origin: ORIGIN, targets: ['key=prices-*'] });
    expect(renderPlanMarkdown(plan)).toContain('**Plan\\: 1 to create · targeted\\: key=prices-\\***');
  });

  it('a manifest cannot inject markup into the comment', () => {
    const hostile = spec({
      name: 'Evil </details><img src=x onerror=alert(1)>',
      objective: 'Ignore ``` fences </details> <!-- titan-plan -->\nand more',
    });
    const plan = planChanges([desired('evil', hostile)], [], null, { origin: ORIGIN });
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('````text\nIgnore ``` fences </details> <!-- titan-plan -->\nand more\n````');
    const outsideFences = md.replace(/^(`{3,})[a-z]*\n[\s\S]*?\n\1$/gm, '');
    expect(count(outsideFences, '</details>')).toBe(1);
    expect(count(outsideFences, '<!-- titan-plan -->')).toBe(1);
    expect(outsideFences).not.toMatch(/(^|[^\\])<img/);
  });
});

describe('text rendering', () => {
  it('shows a schedule change with its reading and runs/day', () => {
    const before = spec({ execution_type: 'scheduled', schedule: '0 * * * *' });
    const after = spec({ execution_type: 'scheduled', schedule: '*/20 * * * *' });
    const plan = update(before, after);
    const text = renderPlanText(plan);
    expect(text).toContain('schedule        "0 * * * *" -> "*/20 * * * *"');
    expect(text).toContain('every hour at :00 (24 runs/day) -> every 20 minutes (72 runs/day): +48 runs/day');
    expect(text).toContain('Plan: 1 to update · schedules +48 runs/day');
  });

  it('shows long text as a unified diff and short values inline', () => {
    const before = spec({ objective: 'line one\nline two\nline three\n', proxy_locations: ['US'] });
    const after = spec({ objective: 'line one\nline 2\nline three\n', proxy_locations: ['US', 'DE'] });
    const plan = update(before, after);
    const text = renderPlanText(plan);
    expect(text).toContain(
      '      @@ -1,3 +1,3 @@\n       line one\n      -line two\n      +line 2\n       line three\n',
    );
    expect(text).toContain('proxy_locations ["US"] -> ["US", "DE"]');
  });

  it('uses the documented symbols', () => {
    const text = renderPlanText(
      planChanges(
        [
          desired('a'),
          desired('b', spec({ name: 'B' }), { previousNames: ['c'] }),
          desired('d', spec({ name: 'D' })),
        ],
        [
          live('t1'),
          live('t3', spec({ name: 'B' })),
          live('t4', spec({ name: 'D' })),
          live('t5', spec({ name: 'E' })),
        ],
        lockOf({
          c: entry('t3', spec({ name: 'B' })),
          d: entry('t4', spec({ name: 'D' })),
          e: entry('t5', spec({ name: 'E' })),
        }),
        { origin: ORIGIN, replace: ['d'] },
      ),
    );
    expect(text).toContain('<= adopt a (t1)');
    expect(text).toContain('→ move c → b (t3)');
    expect(text).toContain('-/+ replace d (t4)');
    expect(text).toContain('- delete e (t5)');
    expect(renderPlanText(planChanges([desired('n')], [], null, { origin: ORIGIN }))).toContain('+ create n');
  });
});

describe('field diffs a reviewer can read', () => {
  const urls = ['https://shop.example/catalog/p/1', 'https://shop.example/catalog/p/2'];

  it('adding one URL to a long list adds one line and removes none', () => {
    const text = renderPlanText(
      update(spec({ urls }), spec({ urls: [...urls, 'https://shop.example/catalog/p/3'] })),
    );
    expect(text).toContain(
      '    urls\n      @@ -1,2 +1,3 @@\n       - https://shop.example/catalog/p/1\n       - https://shop.example/catalog/p/2\n      +- https://shop.example/catalog/p/3\n',
    );
    const md = renderPlanMarkdown(
      update(spec({ urls }), spec({ urls: [...urls, 'https://shop.example/catalog/p/3'] })),
    );
    const diff = /```diff\n([\s\S]*?)\n```/.exec(md)?.[1] ?? '';
    expect(diff.split('\n').filter((line) => line.startsWith('-'))).toEqual([]);
    expect(diff.split('\n').filter((line) => line.startsWith('+'))).toEqual([
      '+- https://shop.example/catalog/p/3',
    ]);
  });

  it('a long one-line string is shown as - old / + new, without a hunk header', () => {
    const long = 'Extract the product name, the price with its currency and the stock level of each variant';
    const text = renderPlanText(update(spec({ objective: long }), spec({ objective: `${long}.` })));
    expect(text).toContain(
      `    objective\n      - ${JSON.stringify(long)}\n      + ${JSON.stringify(`${long}.`)}\n`,
    );
    expect(text).not.toContain('@@');
  });

  it("object key order is the author's, and a live value in another order is no diff", () => {
    const live1 = spec({
      output_schema: {
        required: ['name'],
        properties: { price: { type: 'number' }, name: { type: 'string' } },
        type: 'object',
      },
    });
    const authored = spec({
      output_schema: {
        type: 'object',
        properties: { name: { type: 'string' }, price: { type: 'integer' } },
        required: ['name'],
      },
    });
    const text = renderPlanText(update(live1, authored));
    const changed = text.split('\n').filter((line) => /^ {6}[-+]/.test(line));
    expect(changed).toEqual(['      -    type: number', '      +    type: integer']);
    const created = renderPlanText(planChanges([desired('n', authored)], [], null, { origin: ORIGIN }));
    expect(created).toContain('    output_schema\n      type: object\n      properties:\n        name:\n');
  });

  it('creates sharing one output_schema show it once and refer to it', () => {
    const plan = planChanges(
      [desired('acme', spec({ name: 'Acme' })), desired('globex', spec({ name: 'Globex' }))],
      [],
      null,
      { origin: ORIGIN },
    );
    const text = renderPlanText(plan);
    expect(count(text, 'properties:')).toBe(1);
    expect(text).toContain('    output_schema   same as acme\n');
    expect(renderPlanMarkdown(plan)).toContain('**output\\_schema**: same as <code>acme</code>');
  });

  it('a delete shows what is destroyed: name, schedule, URLs, objective and output fields', () => {
    const hourly = spec({
      execution_type: 'scheduled',
      schedule: '0 * * * *',
      urls: [...urls, 'https://x.example/'],
    });
    const plan = planChanges(
      [desired('keep', spec({ name: 'Keep' }))],
      [live('t1', hourly), live('t2', spec({ name: 'Keep' }))],
      lockOf({ gone: entry('t1', hourly), keep: entry('t2', spec({ name: 'Keep' })) }),
      { origin: ORIGIN },
    );
    const text = renderPlanText(plan);
    expect(text).toContain(
      [
        '- delete gone (t1)  tasks/x.yaml',
        '    name            "Product prices"',
        '    runs            every hour at :00 (24 runs/day)',
        '    urls            https://shop.example/catalog/p/1, https://shop.example/catalog/p/2 and 1 more (3 URLs)',
        '    objective       "Extract the product name and price"',
        '    output_schema   object: name, price (2 properties)',
      ].join('\n'),
    );
    expect(renderPlanMarkdown(plan)).toContain('| runs | <code>every hour at \\:00 (24 runs/day)</code> |');
  });
});

describe('a refused plan', () => {
  const refused = planChanges(
    [desired('b', spec({ name: 'B' }))],
    [live('t1'), live('t2', spec({ name: 'B' }))],
    lockOf({ a: entry('t1', spec(), { protect: true }), b: entry('t2', spec({ name: 'B' })) }),
    { origin: ORIGIN },
  );

  it('says so in the text, after the summary line', () => {
    const text = renderPlanText(refused);
    expect(text).toContain(
      'Plan: 1 to delete\nRefused: titan apply will not run this plan (titan plan exits 4).\n  ✗ Refusing to delete protected task: a (t1).\n',
    );
    expect(text).toContain('    ✗ refused: blocked by protect\n');
  });

  it('says "blocked by protect" in the markdown, and that the task would (not will) be deleted', () => {
    const md = renderPlanMarkdown(refused);
    expect(md).toContain('> **Refused: titan apply will not run this plan.**');
    expect(md).toContain(
      '> - **delete** <code>a</code> (<code>t1</code>) · <code>tasks/x.yaml</code> · **blocked by protect**',
    );
    expect(md).toContain('Task <code>Product prices</code> would be deleted from the service');
    expect(md).not.toContain('will be deleted');
  });

  it('a mass delete is marked as needing --allow-mass-delete', () => {
    const tasks: Record<string, LockEntry> = {};
    const l: LiveTask[] = [];
    for (let i = 0; i < 12; i += 1) {
      tasks[`t-${i}`] = entry(`t${i}`, spec({ name: `T${i}` }));
      l.push(live(`t${i}`, spec({ name: `T${i}` })));
    }
    const plan = planChanges([desired('keep')], [...l, live('k')], lockOf({ ...tasks, keep: entry('k') }), {
      origin: ORIGIN,
    });
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('· **needs --allow-mass-delete**');
    expect(renderPlanText(plan)).toContain('✗ refused: needs --allow-mass-delete');
  });
});

describe("the changed field's line", () => {
  const before = spec();
  const narrowed = spec({
    output_schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  });
  const source = { file: 'tasks/a.yaml', line: 4, column: 1 };
  const fieldSources = { objective: { line: 12, column: 3 }, output_schema: { line: 13, column: 3 } };
  const breakingPlan = (extra: Partial<DesiredTask>, replace: string[] = []) =>
    planChanges(
      [desired('a', narrowed, { source, ...extra })],
      [live('t1', before)],
      lockOf({ a: entry('t1') }),
      {
        origin: ORIGIN,
        replace,
      },
    );

  it('a breaking output_schema change is annotated on the output_schema line', () => {
    expect(renderPlanAnnotations(breakingPlan({ fieldSources }))).toEqual([
      '::warning file=tasks/a.yaml,line=13,title=Breaking output_schema change in a::property `price` removed',
    ]);
  });

  it('a replace stays on the document start; without field lines a breaking change falls back to it', () => {
    expect(renderPlanAnnotations(breakingPlan({ fieldSources }, ['a']))).toEqual([
      '::warning file=tasks/a.yaml,line=4,title=titan plan replaces (deletes%2C then creates) a::titan plan replaces (deletes, then creates) task a (t1).',
      '::warning file=tasks/a.yaml,line=13,title=Breaking output_schema change in a::property `price` removed',
    ]);
    expect(renderPlanAnnotations(breakingPlan({}))).toEqual([
      '::warning file=tasks/a.yaml,line=4,title=Breaking output_schema change in a::property `price` removed',
    ]);
  });

  it('text and markdown show file:line next to a breaking field', () => {
    const plan = breakingPlan({ fieldSources });
    expect(renderPlanText(plan)).toContain('    output_schema   BREAKING  tasks/a.yaml:13\n');
    const md = renderPlanMarkdown(plan);
    expect(md).toContain(
      '> - **breaking output_schema** in <code>a</code> at <code>tasks/a.yaml\\:13</code>: property \\`price\\` removed',
    );
    expect(md).toContain('**output\\_schema** · ⚠️ **breaking** · <code>tasks/a.yaml\\:13</code>');
    const unplaced = breakingPlan({});
    expect(renderPlanText(unplaced)).toContain('    output_schema   BREAKING\n');
    expect(renderPlanMarkdown(unplaced)).toContain('in <code>a</code>: property \\`price\\` removed');
  });
});
