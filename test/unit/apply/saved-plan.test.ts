import { describe, expect, it } from 'vitest';
import { checkSavedPlan } from '../../../src/app/saved-plan.js';
import type { LiveTask } from '../../../src/core/model.js';
import { PLAN_FORMAT_VERSION, type Plan, type PlannedChange } from '../../../src/core/plan/model.js';

const change = (key: string, objective: string, extra: Partial<PlannedChange> = {}): PlannedChange => ({
  action: 'update',
  key,
  id: `id-${key}`,
  name: key,
  after: { name: key, execution_type: 'single', objective },
  fields: [],
  drift: false,
  vanished: false,
  protect: false,
  warnings: [],
  ...extra,
});

const plan = (changes: PlannedChange[], serial = 3): Plan => ({
  format_version: PLAN_FORMAT_VERSION,
  origin: 'https://api.example.com',
  lock: { lineage: 'lin', serial },
  manifests: { paths: ['.'], files: [] },
  options: { targets: [], replace: [], allow_mass_delete: false },
  changes,
  fingerprints: changes.map((c) => ({ key: c.key, id: c.id as string, updated_at: 'u1' })),
  unmanaged: 0,
  managed: changes.length,
  summary: {
    create: 0,
    update: changes.length,
    replace: 0,
    delete: 0,
    adopt: 0,
    move: 0,
    noop: 0,
    breaking: 0,
    runs_per_day_delta: 0,
    drifted: 0,
    vanished: 0,
  },
  refusals: [],
  warnings: [],
});

const live = (id: string, updated_at = 'u1'): LiveTask => ({
  id,
  status: 'active',
  created_at: 'c',
  updated_at,
  name: id,
});

describe('checkSavedPlan', () => {
  it('accepts a plan whose lock, tasks and manifests are as they were', () => {
    const saved = plan([change('a', 'x')]);
    expect(checkSavedPlan(saved, plan([change('a', 'x')]), new Map([['id-a', live('id-a')]]))).toEqual({
      problems: [],
      extra: [],
    });
  });

  it('lists every reason a plan is stale', () => {
    const saved = plan([change('a', 'x'), change('b', 'y'), change('c', 'z')]);
    const fresh = plan([change('a', 'x'), change('b', 'y2'), change('d', 'w')], 4);
    const result = checkSavedPlan(
      saved,
      fresh,
      new Map([
        ['id-a', live('id-a', 'u2')],
        ['id-b', live('id-b')],
      ]),
    );
    expect(result.problems).toEqual([
      'titan.lock changed since the plan was made (serial 3 → 4: another apply ran)',
      'task a (id-a) was changed on the service (updated_at u1 → u2)',
      'task c (id-c) was deleted on the service',
      'b: its manifest changed since the plan was made',
      'c: the planned update is no longer needed',
    ]);
    expect(result.extra).toEqual(['d']);
  });

  it('notices a lockfile that appeared or belongs to another lineage', () => {
    const fromNothing = { ...plan([]), lock: null };
    expect(checkSavedPlan(fromNothing, plan([]), new Map()).problems).toEqual([
      'titan.lock was created since the plan was made (another apply ran)',
    ]);
    const other = { ...plan([]), lock: { lineage: 'other', serial: 3 } };
    expect(checkSavedPlan(other, plan([]), new Map()).problems[0]).toMatch(/another lineage/);
  });
});
