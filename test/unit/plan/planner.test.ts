import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/core/errors.js';
import type { Lockfile } from '../../../src/core/lock/model.js';
import type { DesiredTask, LiveTask } from '../../../src/core/model.js';
import { needsApiWrite, type Plan, type PlannedChange } from '../../../src/core/plan/model.js';
import { planChanges, tasksNeedingFullRead, type PlanOptions } from '../../../src/core/plan/planner.js';
import { renderPlanJson } from '../../../src/render/plan-json.js';
import { renderPlanMarkdown } from '../../../src/render/plan-markdown.js';
import { renderPlanText } from '../../../src/render/plan-text.js';
import { renderSummaryLine } from '../../../src/render/plan-shared.js';
import { desired, entry, live, lockOf, ORIGIN, spec, summary } from './fixtures.js';

const plan = (
  d: DesiredTask[],
  l: LiveTask[],
  lock: Lockfile | null,
  options: Partial<PlanOptions> = {},
): Plan => planChanges(d, l, lock, { origin: ORIGIN, ...options });

const only = (p: Plan): PlannedChange => {
  expect(p.changes).toHaveLength(1);
  return p.changes[0] as PlannedChange;
};

const actions = (p: Plan): string[] => p.changes.map((c) => `${c.action} ${c.key}${c.id ? ` ${c.id}` : ''}`);

const changed = spec({ objective: 'Extract the product name, price and currency' });

describe('planner actions', () => {
  const cases: {
    name: string;
    desired: DesiredTask[];
    live: LiveTask[];
    lock: Lockfile | null;
    options?: Partial<PlanOptions>;
    expected: string[];
  }[] = [
    { name: 'a new key is created', desired: [desired('a')], live: [], lock: null, expected: ['create a'] },
    {
      name: 'a managed task equal to its manifest is a noop',
      desired: [desired('a')],
      live: [live('t1')],
      lock: lockOf({ a: entry('t1') }),
      expected: ['noop a t1'],
    },
    {
      name: 'a managed task whose manifest changed is updated',
      desired: [desired('a', changed)],
      live: [live('t1')],
      lock: lockOf({ a: entry('t1') }),
      expected: ['update a t1'],
    },
    {
      name: 'an unmanaged live task equal to a new key is adopted, not duplicated',
      desired: [desired('a')],
      live: [live('t9')],
      lock: null,
      expected: ['adopt a t9'],
    },
    {
      name: 'an unmanaged task that differs in one field is not adopted',
      desired: [desired('a', changed)],
      live: [live('t9')],
      lock: null,
      expected: ['create a'],
    },
    {
      name: 'a removed manifest deletes its managed task',
      desired: [desired('a')],
      live: [live('t1'), live('t2', spec({ name: 'Old' }))],
      lock: lockOf({ a: entry('t1'), old: entry('t2', spec({ name: 'Old' })) }),
      expected: ['noop a t1', 'delete old t2'],
    },
    {
      name: 'previousNames re-keys the lock entry (move) instead of recreating',
      desired: [desired('new-name', spec(), { previousNames: ['old-name'] })],
      live: [live('t1')],
      lock: lockOf({ 'old-name': entry('t1') }),
      expected: ['move new-name t1'],
    },
    {
      name: '--replace deletes and recreates a managed task',
      desired: [desired('a')],
      live: [live('t1')],
      lock: lockOf({ a: entry('t1') }),
      options: { replace: ['a'] },
      expected: ['replace a t1'],
    },
    {
      name: 'a managed task gone from the service is created again',
      desired: [desired('a')],
      live: [],
      lock: lockOf({ a: entry('t1') }),
      expected: ['create a'],
    },
    {
      name: 'a soft-deleted task in the listing counts as absent',
      desired: [desired('a')],
      live: [live('t1', spec(), { status: 'deleted' })],
      lock: lockOf({ a: entry('t1') }),
      expected: ['create a'],
    },
    {
      name: 'unmanaged tasks are never updated or deleted',
      desired: [],
      live: [live('t1'), live('t2')],
      lock: null,
      expected: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(actions(plan(c.desired, c.live, c.lock, c.options))).toEqual(c.expected);
    });
  }
});

describe('planner details', () => {
  it('records before/after and the changed fields of an update', () => {
    const change = only(plan([desired('a', changed)], [live('t1')], lockOf({ a: entry('t1') })));
    expect(change.before?.objective).toBe('Extract the product name and price');
    expect(change.after?.objective).toBe('Extract the product name, price and currency');
    expect(change.fields.map((f) => f.field)).toEqual(['objective']);
    expect(change.source).toEqual({ file: 'tasks/a.yaml', line: 1, column: 1 });
    expect(needsApiWrite(change)).toBe(true);
  });

  it('adopts the oldest equal unmanaged task, each live task once', () => {
    const p = plan(
      [desired('a'), desired('b'), desired('c')],
      [
        live('t3', spec(), { created_at: '2024-03-01T00:00:00.000Z' }),
        live('t2', spec(), { created_at: '2024-01-01T00:00:00.000Z' }),
        live('t1', spec(), { created_at: '2024-01-01T00:00:00.000Z' }),
      ],
      null,
    );
    expect(actions(p)).toEqual(['adopt a t1', 'adopt b t2', 'adopt c t3']);
    expect(p.unmanaged).toBe(0);
    const fewer = plan([desired('a'), desired('b')], [live('t1')], null);
    expect(actions(fewer)).toEqual(['adopt a t1', 'create b']);
  });

  it('counts unmanaged live tasks without showing them', () => {
    const p = plan(
      [desired('a')],
      [live('t1'), live('x1', spec({ name: 'Other' })), live('x2', spec({ name: 'Other 2' }))],
      lockOf({ a: entry('t1') }),
    );
    expect(p.unmanaged).toBe(2);
    expect(p.changes.map((c) => c.key)).toEqual(['a']);
  });

  it('a move with changed fields keeps the id and lists the fields', () => {
    const change = only(
      plan(
        [desired('new-name', changed, { previousNames: ['old-name'] })],
        [live('t1')],
        lockOf({ 'old-name': entry('t1') }),
      ),
    );
    expect(change).toMatchObject({ action: 'move', id: 't1', from_key: 'old-name' });
    expect(change.fields.map((f) => f.field)).toEqual(['objective']);
  });

  it('a renamed task whose id vanished is created, dropping the old lock key', () => {
    const change = only(
      plan(
        [desired('new-name', spec(), { previousNames: ['old-name'] })],
        [],
        lockOf({ 'old-name': entry('t1') }),
      ),
    );
    expect(change).toMatchObject({ action: 'create', from_key: 'old-name', vanished: true });
    expect(change.warnings[0]).toContain('t1 is gone from the service');
  });

  it('a vanished managed task is recreated with a warning', () => {
    const p = plan([desired('a')], [], lockOf({ a: entry('t1') }));
    expect(only(p)).toMatchObject({ action: 'create', vanished: true });
    expect(p.summary.vanished).toBe(1);
    expect(renderSummaryLine(p)).toBe('Plan: 1 to create (1 vanished)');
  });

  it('a vanished managed task is adopted from an equal unmanaged twin (a crash or an older lockfile)', () => {
    const p = plan([desired('a')], [live('t2')], lockOf({ a: entry('t1') }));
    expect(only(p)).toMatchObject({ action: 'adopt', id: 't2', vanished: true });
    expect(only(p).warnings[0]).toContain('t2, an unmanaged task equal to the manifest, takes its place');
    expect(p.unmanaged).toBe(0);
  });

  it('a lock entry whose task is gone and whose manifest was removed is only dropped', () => {
    const change = only(plan([], [], lockOf({ old: entry('t1', spec(), { protect: true }) })));
    expect(change).toMatchObject({ action: 'delete', vanished: true, id: 't1' });
    expect(needsApiWrite(change)).toBe(false);
  });

  it('--replace on an unknown key is invalid input; on an unmanaged key a warning', () => {
    expect(() => plan([desired('a')], [], null, { replace: ['nope'] })).toThrow(InvalidInputError);
    const p = plan([desired('a')], [], null, { replace: ['a'] });
    expect(actions(p)).toEqual(['create a']);
    expect(p.warnings[0]).toContain('not managed yet');
  });

  it('places each changed field at the line where the manifest writes it', () => {
    const at = (line: number) => ({ line, column: 3 });
    const fieldSources = { name: at(6), urls: at(8), objective: at(9), output_schema: at(10) };
    // The manifest edits the objective, drops the output_schema and protects the task.
    const { output_schema: _dropped, ...edited } = changed;
    const update = only(
      plan(
        [
          desired('a', edited, {
            fieldSources: { ...fieldSources, output_schema: undefined },
            protect: true,
          }),
        ],
        [live('t1')],
        lockOf({ a: entry('t1') }),
      ),
    );
    expect(update.fields.map((f) => [f.field, f.line, f.column])).toEqual([
      ['objective', 9, 3],
      ['output_schema', undefined, undefined], // removed: no longer written anywhere
      ['metadata.protect', undefined, undefined],
    ]);
    const create = only(plan([desired('b', spec(), { fieldSources })], [], null));
    expect(create.fields.map((f) => [f.field, f.line])).toEqual([
      ['name', 6],
      ['execution_type', undefined],
      ['urls', 8],
      ['objective', 9],
      ['output_schema', 10],
    ]);
  });

  it('a protect flag change is a lock-only update', () => {
    const change = only(
      plan([desired('a', spec(), { protect: true })], [live('t1')], lockOf({ a: entry('t1') })),
    );
    expect(change.action).toBe('update');
    expect(change.fields).toEqual([
      expect.objectContaining({ field: 'metadata.protect', before: false, after: true }),
    ]);
    expect(needsApiWrite(change)).toBe(false);
  });

  it('records a fingerprint of every live task it touches, none for noops and creates', () => {
    const p = plan(
      [desired('a'), desired('b', changed), desired('c')],
      [live('t1'), live('t2', spec(), { updated_at: '2024-06-01T00:00:00.000Z' })],
      lockOf({ a: entry('t1'), b: entry('t2', spec(), { updated_at: '2024-06-01T00:00:00.000Z' }) }),
    );
    expect(p.fingerprints).toEqual([{ key: 'b', id: 't2', updated_at: '2024-06-01T00:00:00.000Z' }]);
    expect(p.lock).toEqual({ lineage: '6f1c2d3e-0000-4000-8000-000000000001', serial: 3 });
  });

  it('is deterministic whatever the input order', () => {
    const d = [desired('b', changed), desired('a'), desired('c')];
    const l = [live('t2'), live('t1'), live('x', spec({ name: 'X' }))];
    const lock = lockOf({ b: entry('t2'), a: entry('t1'), z: entry('t9') });
    const one = renderPlanJson(plan(d, l, lock));
    const two = renderPlanJson(plan([...d].reverse(), [...l].reverse(), lock));
    expect(two).toBe(one);
  });
});

describe('drift', () => {
  it('flags a managed task changed outside titan, and plans to revert it', () => {
    const outside = spec({ proxy_locations: ['FR'] });
    const p = plan(
      [desired('a')],
      [live('t1', outside, { updated_at: '2024-06-01T00:00:00.000Z' })],
      lockOf({ a: entry('t1') }),
    );
    expect(only(p)).toMatchObject({ action: 'update', drift: true });
    expect(p.summary.drifted).toBe(1);
  });

  it('a manifest edit not yet applied is not drift', () => {
    const p = plan([desired('a', changed)], [live('t1')], lockOf({ a: entry('t1') }));
    expect(only(p)).toMatchObject({ action: 'update', drift: false });
  });

  it('a live change that already matches the manifest plans nothing', () => {
    const p = plan([desired('a', changed)], [live('t1', changed)], lockOf({ a: entry('t1') }));
    expect(only(p)).toMatchObject({ action: 'noop', drift: false });
  });

  it('a task deleted from the manifests but changed outside titan is a drifted delete', () => {
    const p = plan([], [live('t1', changed)], lockOf({ a: entry('t1') }), { allowMassDelete: true });
    expect(only(p)).toMatchObject({ action: 'delete', drift: true });
  });
});

describe('normalisation: apply then plan is empty', () => {
  const cases: { name: string; desired: Parameters<typeof spec>[0]; live: Parameters<typeof spec>[0] }[] = [
    { name: 'empty proxy_locations vs absent', desired: { proxy_locations: [] }, live: {} },
    { name: 'empty payload vs absent', desired: {}, live: { payload: {} } },
    {
      name: 'schedule spacing',
      desired: { execution_type: 'scheduled', schedule: '0  * * *  *' },
      live: { execution_type: 'scheduled', schedule: '0 * * * *' },
    },
    {
      name: 'key order inside output_schema',
      desired: { output_schema: { type: 'object', properties: { a: { type: 'string' } } } },
      live: { output_schema: { properties: { a: { type: 'string' } }, type: 'object' } },
    },
    {
      name: 'empty limits inside execution_plan steps',
      desired: {
        execution_plan: { steps: [{ action_type: 'search', input_source: 'static_urls', limits: {} }] },
      },
      live: { execution_plan: { steps: [{ action_type: 'search', input_source: 'static_urls' }] } },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan(
        [desired('a', spec(c.desired))],
        [live('t1', spec(c.live))],
        lockOf({ a: entry('t1', spec(c.live)) }),
      );
      expect(actions(p)).toEqual(['noop a t1']);
      const adopted = plan([desired('a', spec(c.desired))], [live('t1', spec(c.live))], null);
      expect(actions(adopted)).toEqual(['adopt a t1']);
    });
  }

  it('URL order and string whitespace are significant', () => {
    const p = plan(
      [desired('a', spec({ urls: ['https://b.example/', 'https://a.example/'] }))],
      [live('t1', spec({ urls: ['https://a.example/', 'https://b.example/'] }))],
      lockOf({ a: entry('t1') }),
    );
    expect(only(p).action).toBe('update');
  });
});

describe('sensitive values', () => {
  const withSecret = (secret: string) =>
    spec({ payload: { endpoint: 'https://partner.example', api_key: secret } });

  it('compares real values but never shows them', () => {
    const p = plan(
      [desired('a', withSecret('new-secret'), { sensitivePaths: ['/payload/api_key'] })],
      [live('t1', withSecret('old-secret'))],
      lockOf({ a: entry('t1', withSecret('old-secret'), { sensitive: ['/payload/api_key'] }) }),
    );
    const change = only(p);
    expect(change.action).toBe('update');
    expect(change.fields[0]).toMatchObject({ field: 'payload', sensitive: true });
    expect(change.fields[0]?.notes).toEqual(['sensitive value changed: /payload/api_key']);
    const json = renderPlanJson(p);
    expect(json).not.toContain('new-secret');
    expect(json).not.toContain('old-secret');
    expect(json).toContain('(sensitive)');
  });

  it('an unchanged secret is a noop and adoption compares the real secret', () => {
    const d = desired('a', withSecret('s3'), { sensitivePaths: ['/payload/api_key'] });
    expect(
      actions(
        plan(
          [d],
          [live('t1', withSecret('s3'))],
          lockOf({ a: entry('t1', withSecret('s3'), { sensitive: ['/payload/api_key'] }) }),
        ),
      ),
    ).toEqual(['noop a t1']);
    expect(actions(plan([d], [live('t1', withSecret('other'))], null))).toEqual(['create a']);
    expect(renderPlanJson(plan([d], [], null))).not.toContain('s3');
  });

  it('a deleted task whose name was a secret shows it masked in every rendering', () => {
    const secretName = spec({ name: 'Acme Corp secret-project' });
    const p = plan(
      [desired('keep', spec({ name: 'Keep' }))],
      [live('t1', secretName), live('t2', spec({ name: 'Keep' }))],
      lockOf({
        gone: entry('t1', secretName, { sensitive: ['/name'] }),
        keep: entry('t2', spec({ name: 'Keep' })),
      }),
    );
    const change = p.changes.find((c) => c.key === 'gone');
    expect(change).toMatchObject({ action: 'delete', name: '(sensitive)' });
    expect(change?.before?.name).toBe('(sensitive)');
    for (const output of [renderPlanJson(p), renderPlanText(p), renderPlanMarkdown(p)]) {
      expect(output).not.toContain('Acme');
      expect(output).toContain('(sensitive)');
    }
  });

  it('a sensitive schedule gets no reading, even when only the execution type changes', () => {
    const single = spec({ execution_type: 'single', schedule: '17 3 * * *' });
    const scheduled = spec({ execution_type: 'scheduled', schedule: '17 3 * * *' });
    const p = plan(
      [desired('a', scheduled, { sensitivePaths: ['/schedule'] })],
      [live('t1', single)],
      lockOf({ a: entry('t1', single, { sensitive: ['/schedule'] }) }),
    );
    expect(only(p).fields.map((f) => f.field)).toEqual(['execution_type']);
    for (const output of [renderPlanJson(p), renderPlanText(p), renderPlanMarkdown(p)]) {
      expect(output).not.toContain('03:17');
      expect(output).not.toContain('17 3');
    }
  });

  it('names the secrets that differ even when other parts of the field changed too', () => {
    const before = spec({ payload: { endpoint: 'https://a.example', api_key: 'old' } });
    const after = spec({ payload: { endpoint: 'https://b.example', api_key: 'new' } });
    const p = plan(
      [desired('a', after, { sensitivePaths: ['/payload/api_key'] })],
      [live('t1', before)],
      lockOf({ a: entry('t1', before, { sensitive: ['/payload/api_key'] }) }),
    );
    expect(only(p).fields[0]).toMatchObject({ field: 'payload', sensitive_changed: ['/payload/api_key'] });
    const same = plan(
      [
        desired('a', spec({ payload: { endpoint: 'https://b.example', api_key: 'old' } }), {
          sensitivePaths: ['/payload/api_key'],
        }),
      ],
      [live('t1', before)],
      lockOf({ a: entry('t1', before, { sensitive: ['/payload/api_key'] }) }),
    );
    expect(only(same).fields[0]?.sensitive_changed).toBeUndefined();
  });

  it('masks the live value of a path the lock knew as sensitive even when the manifest no longer does', () => {
    const p = plan(
      [desired('a', withSecret('now-plain'))],
      [live('t1', withSecret('was-secret'))],
      lockOf({ a: entry('t1', withSecret('was-secret'), { sensitive: ['/payload/api_key'] }) }),
    );
    expect(renderPlanJson(p)).not.toContain('was-secret');
  });
});

describe('guards', () => {
  const managed = (n: number): { desired: DesiredTask[]; live: LiveTask[]; lock: Lockfile } => {
    const tasks: Record<string, ReturnType<typeof entry>> = {};
    const l: LiveTask[] = [];
    const d: DesiredTask[] = [];
    for (let i = 0; i < n; i += 1) {
      const key = `task-${String(i).padStart(3, '0')}`;
      const s = spec({ name: key });
      tasks[key] = entry(`t${i}`, s);
      l.push(live(`t${i}`, s));
      d.push(desired(key, s));
    }
    return { desired: d, live: l, lock: lockOf(tasks) };
  };

  it('refuses deleting a protected task, even after its manifest is removed', () => {
    const p = plan([], [live('t1')], lockOf({ a: entry('t1', spec(), { protect: true }) }), {
      allowMassDelete: true,
    });
    expect(p.refusals).toEqual([expect.objectContaining({ reason: 'protected', keys: ['a'] })]);
    expect(p.refusals[0]?.message).toContain('a (t1)');
    expect(p.refusals[0]?.hint).toContain('protect: false');
  });

  it('refuses replacing a protected task', () => {
    const p = plan(
      [desired('a', spec(), { protect: true })],
      [live('t1')],
      lockOf({ a: entry('t1', spec(), { protect: true }) }),
      { replace: ['a'] },
    );
    expect(p.refusals[0]).toMatchObject({ reason: 'protected', keys: ['a'] });
    expect(p.refusals[0]?.message).toMatch(/^Refusing to replace/);
  });

  const massCases: { name: string; managed: number; keep: number; allow?: boolean; refused: boolean }[] = [
    { name: '10 of 20 deletes are allowed', managed: 20, keep: 10, refused: false },
    { name: '11 of 20 deletes are refused', managed: 20, keep: 9, refused: true },
    { name: '15 of 150 deletes are allowed (10 %)', managed: 150, keep: 135, refused: false },
    { name: '16 of 150 deletes are refused', managed: 150, keep: 134, refused: true },
    { name: 'deleting the only task empties the workspace', managed: 1, keep: 0, refused: true },
    { name: 'emptying 3 tasks is refused', managed: 3, keep: 0, refused: true },
    { name: '--allow-mass-delete lifts the guard', managed: 20, keep: 0, allow: true, refused: false },
  ];
  for (const c of massCases) {
    it(c.name, () => {
      const state = managed(c.managed);
      const p = plan(state.desired.slice(0, c.keep), state.live, state.lock, {
        allowMassDelete: c.allow === true,
      });
      expect(p.refusals.some((r) => r.reason === 'mass-delete')).toBe(c.refused);
      expect(p.options.allow_mass_delete).toBe(c.allow === true);
    });
  }

  it('replacing every task by new keys does not empty the workspace', () => {
    const p = plan([desired('b', spec({ name: 'B' }))], [live('t1')], lockOf({ a: entry('t1') }));
    expect(actions(p)).toEqual(['delete a t1', 'create b']);
    expect(p.refusals).toEqual([]);
  });

  it('vanished tasks do not trip the guards', () => {
    const p = plan([], [], lockOf({ a: entry('t1', spec(), { protect: true }), b: entry('t2') }));
    expect(p.refusals).toEqual([]);
  });
});

describe('targets', () => {
  const d = [
    desired('prices', changed, { labels: { team: 'pricing' } }),
    desired('news', changed, { labels: { team: 'content' } }),
  ];
  const l = [live('t1'), live('t2'), live('t3', spec({ name: 'Gone' }))];
  const lock = lockOf({ prices: entry('t1'), news: entry('t2'), gone: entry('t3', spec({ name: 'Gone' })) });

  it.each([
    [['prices'], ['update prices t1']],
    [['key=prices'], ['update prices t1']],
    [['label:team=content'], ['update news t2']],
    [['key=*s'], ['update news t2', 'update prices t1']],
    [
      ['gone', 'label:team=pricing'],
      ['delete gone t3', 'update prices t1'],
    ],
  ])('%j selects %j', (targets, expected) => {
    expect(actions(plan(d, l, lock, { targets }))).toEqual(expected);
  });

  it('says in the summary that the plan is targeted, and warns about a selector that matched nothing', () => {
    const p = plan(d, l, lock, { targets: ['prices', 'nothing-here'] });
    expect(renderSummaryLine(p)).toBe('Plan: 1 to update · targeted: prices, nothing-here');
    expect(p.warnings).toEqual(['--target nothing-here matched no task.']);
  });

  it('warns when --target leaves out a key given to --replace, instead of ignoring it', () => {
    const p = plan(d, l, lock, { targets: ['prices'], replace: ['news'] });
    expect(actions(p)).toEqual(['update prices t1']);
    expect(p.warnings).toEqual([
      '--replace news is ignored: --target prices does not select it. Add --target news to replace it.',
    ]);
    expect(plan(d, l, lock, { targets: ['news'], replace: ['news'] }).warnings).toEqual([]);
  });

  it('rejects a malformed selector', () => {
    expect(() => plan(d, l, lock, { targets: ['label:team'] })).toThrow(InvalidInputError);
  });

  it('a move is selected by its new or its old key', () => {
    const moved = [desired('new-name', spec(), { previousNames: ['old-name'] })];
    const movedLock = lockOf({ 'old-name': entry('t1') });
    expect(actions(plan(moved, [live('t1')], movedLock, { targets: ['old-name'] }))).toEqual([
      'move new-name t1',
    ]);
  });
});

describe('summary items (full reads only where needed)', () => {
  const lock = lockOf({ a: entry('t1'), b: entry('t2'), gone: entry('t3') });

  it('needs no full read when nothing changed since the lock', () => {
    const l = [summary(live('t1')), summary(live('t2')), summary(live('t3'))];
    expect(tasksNeedingFullRead([desired('a'), desired('b'), desired('gone')], l, lock)).toEqual([]);
    expect(actions(plan([desired('a'), desired('b'), desired('gone')], l, lock))).toEqual([
      'noop a t1',
      'noop b t2',
      'noop gone t3',
    ]);
  });

  it('reads managed tasks changed on either side, replaced ones, and adoption candidates', () => {
    const l = [
      summary(live('t1', spec(), { updated_at: '2024-07-01T00:00:00.000Z' })), // changed outside titan
      summary(live('t2')), // manifest changed
      summary(live('t3')), // manifest removed, unchanged: no read
      summary(live('x1', spec({ name: 'New' }))), // adoption candidate by name
      summary(live('x2', spec({ name: 'Unrelated' }))),
    ];
    const d = [desired('a'), desired('b', changed), desired('new', spec({ name: 'New' }))];
    expect(tasksNeedingFullRead(d, l, lock)).toEqual(['t1', 't2', 'x1']);
  });

  it('throws when a needed full read is missing (a use-case bug, never a silent guess)', () => {
    expect(() => plan([desired('a', changed)], [summary(live('t1'))], lockOf({ a: entry('t1') }))).toThrow(
      /not read/,
    );
  });

  it('a deletion of a summary-only task still counts its runs/day', () => {
    const daily = spec({ execution_type: 'scheduled', schedule: '0 6 * * *' });
    const p = plan([], [summary(live('t1', daily))], lockOf({ a: entry('t1', daily) }), {
      allowMassDelete: true,
    });
    expect(p.summary.runs_per_day_delta).toBe(-1);
  });
});

describe('summary line', () => {
  it('counts every action and flags breaking changes and schedules', () => {
    const hourly = spec({ execution_type: 'scheduled', schedule: '0 * * * *' });
    const breaking = spec({ output_schema: { type: 'object', properties: { name: { type: 'string' } } } });
    const p = plan(
      [desired('a', hourly), desired('b', breaking), desired('c')],
      [live('t2'), live('t9', spec({ name: 'Old' })), live('t3')],
      lockOf({ b: entry('t2'), old: entry('t9', spec({ name: 'Old' })), z: entry('t7') }),
    );
    expect(renderSummaryLine(p)).toBe(
      'Plan: 1 to create, 1 to update, 2 to delete (1 vanished), 1 to adopt · 1 breaking output_schema change · schedules +24 runs/day',
    );
  });

  it('sums exact runs/day and rounds only the total: seven weekly tasks are one run a day', () => {
    const weekly = (day: number) => spec({ execution_type: 'scheduled', schedule: `0 9 * * ${day}` });
    const p = plan(
      [0, 1, 2, 3, 4, 5, 6].map((day) => desired(`day-${day}`, weekly(day))),
      [],
      null,
    );
    expect(p.summary.runs_per_day_delta).toBe(1);
    expect(renderSummaryLine(p)).toBe('Plan: 7 to create · schedules +1 run/day');
  });

  it('a yearly schedule adds "<0.01 runs/day", not 0', () => {
    const yearly = spec({ execution_type: 'scheduled', schedule: '0 0 29 2 *' });
    const p = plan([desired('leap', yearly)], [], null);
    expect(p.summary.runs_per_day_delta).toBeCloseTo(97 / 146_097, 6);
    expect(renderSummaryLine(p)).toBe('Plan: 1 to create · schedules +<0.01 runs/day');
  });

  it('says so when there is nothing to do', () => {
    expect(renderSummaryLine(plan([desired('a')], [live('t1')], lockOf({ a: entry('t1') })))).toBe(
      'No changes. Live tasks match the manifests.',
    );
  });
});
