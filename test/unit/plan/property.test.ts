/**
 * Property: for any desired/live/lock triple the planner accepts, carrying out its changes (a small pure
 * simulator of what apply does) leads to a state whose plan is all noop — "apply, then plan" is empty. And the
 * list variant (full items, or summaries plus the full reads the planner asks for) never changes a decision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LockEntry, Lockfile } from '../../../src/core/lock/model.js';
import type { DesiredTask, LiveTask, TaskSpec } from '../../../src/core/model.js';
import type { Plan } from '../../../src/core/plan/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';
import { planChanges, tasksNeedingFullRead } from '../../../src/core/plan/planner.js';
import { desired, live, lockOf, ORIGIN, spec, summary } from './fixtures.js';

const KEYS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
const IDS = ['t1', 't2', 't3', 't4', 't5', 't6'];
const STAMPS = ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'];

/** Few, overlapping variants, so equalities (adoption, noop) happen often; some differ only in form. */
const SPECS: TaskSpec[] = [
  spec(),
  spec({ proxy_locations: [] }),
  spec({ objective: 'Something else' }),
  spec({ execution_type: 'scheduled', schedule: '0 * * * *' }),
  spec({ execution_type: 'scheduled', schedule: '0  *  * * *', payload: {} }),
  spec({ name: 'Other', payload: { token: 'secret-1' } }),
  spec({ name: 'Other', payload: { token: 'secret-2' } }),
];

const specArb = fc.constantFrom(...SPECS);

const stateArb = fc
  .record({
    desiredKeys: fc.subarray(KEYS),
    desiredSpecs: fc.array(specArb, { minLength: 5, maxLength: 5 }),
    sensitive: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    previous: fc.array(fc.option(fc.constantFrom(...KEYS), { nil: undefined }), {
      minLength: 5,
      maxLength: 5,
    }),
    lockKeys: fc.subarray(KEYS),
    lockIds: fc.shuffledSubarray(IDS, { minLength: 5, maxLength: 5 }),
    lockSpecs: fc.array(specArb, { minLength: 5, maxLength: 5 }),
    liveIds: fc.subarray(IDS, { minLength: 3 }),
    /** Per lock entry: does the live task still hold what was applied? Per desired task: unchanged manifest? */
    inSync: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    unchanged: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    liveSpecs: fc.array(specArb, { minLength: 6, maxLength: 6 }),
    liveStamps: fc.array(fc.constantFrom(...STAMPS), { minLength: 6, maxLength: 6 }),
    deleted: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    hasLock: fc.boolean(),
    replace: fc.subarray(KEYS, { maxLength: 2 }),
  })
  .map((r) => {
    const l: LiveTask[] = r.liveIds.map((id, i) =>
      live(id, r.liveSpecs[i] as TaskSpec, {
        created_at: r.liveStamps[i] as string,
        updated_at: r.liveStamps[i] as string,
        status: r.deleted[i] ? 'deleted' : 'active',
      }),
    );
    const tasks: Record<string, LockEntry> = {};
    const applied = new Map<string, TaskSpec>();
    r.lockKeys.forEach((key, i) => {
      const id = r.lockIds[i] as string;
      const current = l.find((task) => task.id === id);
      // The service changes updated_at on every write: the lock carries the live updated_at only while the live
      // task still holds what titan applied.
      const inSync = r.inSync[i] === true && current?.spec !== undefined;
      const spec = inSync ? (current?.spec as TaskSpec) : (r.lockSpecs[i] as TaskSpec);
      applied.set(key, spec);
      tasks[key] = {
        id,
        digest: appliedDigest(spec),
        updated_at: inSync ? (current?.updated_at as string) : '2023-12-31T00:00:00.000Z',
        file: `tasks/${key}.yaml`,
        protect: false,
      };
    });
    const desiredKeys = new Set(r.desiredKeys);
    const d: DesiredTask[] = r.desiredKeys.map((key, i) => {
      const prev = r.previous[i];
      const previousNames = prev !== undefined && !desiredKeys.has(prev) ? [prev] : [];
      const before =
        applied.get(key) ?? (previousNames[0] === undefined ? undefined : applied.get(previousNames[0]));
      const taskSpec =
        r.unchanged[i] === true && before !== undefined ? before : (r.desiredSpecs[i] as TaskSpec);
      const secret = r.sensitive[i] === true && taskSpec.payload?.token !== undefined;
      return desired(key, taskSpec, { previousNames, sensitivePaths: secret ? ['/payload/token'] : [] });
    });
    const replace = r.replace.filter((key) => desiredKeys.has(key));
    return { desired: d, live: l, lock: r.hasLock ? lockOf(tasks) : null, replace };
  });

const planOf = (d: DesiredTask[], l: LiveTask[], lock: Lockfile | null, replace: string[] = []): Plan =>
  planChanges(d, l, lock, { origin: ORIGIN, allowMassDelete: true, replace });

/** What apply does with each change, on plain data. */
function simulateApply(plan: Plan, d: DesiredTask[], l: LiveTask[], lock: Lockfile | null) {
  const desiredByKey = new Map(d.map((task) => [task.key, task]));
  const liveById = new Map(
    l.filter((task) => task.status !== 'deleted').map((task) => [task.id, structuredClone(task)]),
  );
  const tasks: Record<string, LockEntry> = { ...(lock?.tasks ?? {}) };
  let created = 0;
  const stamp = '2024-09-01T00:00:00.000Z';
  const record = (key: string, id: string): void => {
    const task = desiredByKey.get(key) as DesiredTask;
    tasks[key] = {
      id,
      digest: appliedDigest(task.spec, task.sensitivePaths),
      updated_at: liveById.get(id)?.updated_at ?? stamp,
      file: `tasks/${key}.yaml`,
      protect: task.protect,
      ...(task.sensitivePaths.length > 0 ? { sensitive: task.sensitivePaths } : {}),
    };
  };
  const write = (key: string, id: string): void => {
    liveById.set(
      id,
      live(id, structuredClone(desiredByKey.get(key)?.spec) as TaskSpec, {
        created_at: stamp,
        updated_at: stamp,
      }),
    );
    record(key, id);
  };
  for (const change of plan.changes) {
    if (change.fromKey !== undefined) delete tasks[change.fromKey];
    switch (change.action) {
      case 'create':
        write(change.key, `new-${(created += 1)}`);
        break;
      case 'replace':
        liveById.delete(change.id as string);
        write(change.key, `new-${(created += 1)}`);
        break;
      case 'update':
      case 'move':
        write(change.key, change.id as string);
        break;
      case 'delete':
        liveById.delete(change.id as string);
        delete tasks[change.key];
        break;
      case 'adopt':
      case 'noop':
        record(change.key, change.id as string);
        break;
    }
  }
  return { live: [...liveById.values()], lock: lockOf(tasks, (lock?.serial ?? 0) + 1) };
}

const decisions = (plan: Plan) =>
  plan.changes.map((c) => ({
    action: c.action,
    key: c.key,
    id: c.id,
    fromKey: c.fromKey,
    fields: c.fields.map((f) => f.field),
    drift: c.drift,
  }));

describe('planner properties', () => {
  it('apply, then plan is all noop', () => {
    fc.assert(
      fc.property(stateArb, ({ desired: d, live: l, lock, replace }) => {
        const first = planOf(d, l, lock, replace);
        const after = simulateApply(first, d, l, lock);
        const second = planOf(d, after.live, after.lock);
        expect(second.changes.filter((c) => c.action !== 'noop')).toEqual([]);
        expect(second.changes.map((c) => c.key)).toEqual(d.map((t) => t.key).sort());
      }),
      { numRuns: 1000 },
    );
  });

  it('summary items plus the requested full reads give the same decisions as full items', () => {
    fc.assert(
      fc.property(stateArb, ({ desired: d, live: l, lock, replace }) => {
        const summaries = l.map(summary);
        const needed = new Set(tasksNeedingFullRead(d, summaries, lock, { replace }));
        const filled = l.map((task) => (needed.has(task.id) ? task : summary(task)));
        expect(decisions(planOf(d, filled, lock, replace))).toEqual(decisions(planOf(d, l, lock, replace)));
      }),
      { numRuns: 1000 },
    );
  });
});
