/**
 * Golden renderings of one realistic plan: byte-for-byte comparisons with files checked into the repository.
 * After an intended rendering change, regenerate them with `UPDATE_GOLDEN=1 npx vitest run test/unit/plan` and
 * review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import planSchema from '../../../schemas/plan.schema.json' with { type: 'json' };
import { PLAN_MARKER, renderPlanMarkdown } from '../../../src/render/plan-markdown.js';
import { renderPlanJson } from '../../../src/render/plan-json.js';
import { renderPlanText } from '../../../src/render/plan-text.js';
import { planChanges } from '../../../src/core/plan/planner.js';
import { desired, entry, live, lockOf, ORIGIN } from './fixtures.js';
import { scenarioDesired, scenarioLive, scenarioLock, scenarioOptions, scenarioPlan } from './scenario.js';

const golden = (name: string, actual: string): void => {
  const file = new URL(`./__golden__/${name}`, import.meta.url);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, 'utf8'));
};

describe('golden plan renderings', () => {
  it('text', () => golden('scenario.txt', renderPlanText(scenarioPlan())));
  it('markdown', () => golden('scenario.md', renderPlanMarkdown(scenarioPlan())));
  it('json', () => golden('scenario.json', renderPlanJson(scenarioPlan())));
  it('no changes', () => {
    const noChanges = planChanges([desired('a')], [live('t1'), live('t2')], lockOf({ a: entry('t1') }), {
      origin: ORIGIN,
    });
    golden('no-changes.txt', renderPlanText(noChanges));
    golden('no-changes.md', renderPlanMarkdown(noChanges));
  });
  it('refused', () => {
    const refused = planChanges(
      [],
      [live('t1')],
      lockOf({ a: entry('t1', undefined, { protect: true, file: 'tasks/a.yaml' }) }),
      {
        origin: ORIGIN,
      },
    );
    golden('refused.txt', renderPlanText(refused));
    golden('refused.md', renderPlanMarkdown(refused));
  });
});

describe('plan renderings', () => {
  it('are byte-identical for the same inputs in any order', () => {
    const shuffled = planChanges(
      [...scenarioDesired].reverse(),
      [...scenarioLive].reverse(),
      scenarioLock,
      scenarioOptions,
    );
    expect(renderPlanText(shuffled)).toBe(renderPlanText(scenarioPlan()));
    expect(renderPlanMarkdown(shuffled)).toBe(renderPlanMarkdown(scenarioPlan()));
    expect(renderPlanJson(shuffled)).toBe(renderPlanJson(scenarioPlan()));
  });

  it('colour only when asked', () => {
    expect(renderPlanText(scenarioPlan())).not.toContain('\u001b[');
    const coloured = renderPlanText(scenarioPlan(), { color: true });
    expect(coloured).toContain('\u001b[32;1m+ create\u001b[0m');
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderPlanText(scenarioPlan()));
  });

  it('the JSON plan validates against schemas/plan.schema.json', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const validate = ajv.compile(planSchema);
    const valid = validate(JSON.parse(renderPlanJson(scenarioPlan())));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('markdown starts with the marker and puts destructive and breaking changes first', () => {
    const md = renderPlanMarkdown(scenarioPlan());
    expect(md.startsWith(`${PLAN_MARKER}\n`)).toBe(true);
    const order = [
      'replace</code> <b>flaky-crawler',
      'delete</code> <b>legacy-feed',
      'update</code> <b>news-digest',
      'create</code> <b>product-prices',
    ];
    const positions = order.map((text) => md.indexOf(text));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
