/**
 * Properties of the planner over generated desired/live/lock triples:
 * - carrying out a plan's changes leads to a state whose plan is all noop ("apply, then plan" is empty). The
 *   simulated apply goes through the real body mapping (`createBodyFromSpec`, `patchBodyFromSpec`, and
 *   `liveTaskFromBody`/`specFromBody` on what a simulated service stores and lists back, in another key order and
 *   with merge or replace update semantics), so normalisation is exercised, not bypassed;
 * - a plan that would delete or replace a protected task is refused, naming exactly those tasks;
 * - the list variant (full items, or summaries plus the full reads the planner asks for) never changes a decision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/core/json.js';
import type { LockEntry, Lockfile } from '../../../src/core/lock/model.js';
import type { DesiredTask, LiveTask, TaskSpec } from '../../../src/core/model.js';
import { needsApiWrite, type Plan } from '../../../src/core/plan/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';
import { planChanges, tasksNeedingFullRead } from '../../../src/core/plan/planner.js';
import { createBodyFromSpec, liveTaskFromBody, patchBodyFromSpec } from '../../../src/core/task-body.js';
import { desired, lockOf, ORIGIN, summary } from './fixtures.js';

const KEYS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
const IDS = ['t1', 't2', 't3', 't4', 't5', 't6'];
const STAMPS = ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'];

/** Task specs with generated field values, from small pools so that equal tasks (noop, adoption) happen. */
const specArb: fc.Arbitrary<TaskSpec> = fc
  .record(
    {
      name: fc.constantFrom('Prices', 'News'),
      scheduled: fc.boolean(),
      schedule: fc.constantFrom('0 * * * *', '*/20 * * * *', '0 9 * * 1'),
      urls: fc.subarray(['https://a.example/', 'https://b.example/x', 'https://c.example/?q=1'], {
        minLength: 1,
      }),
      objective: fc.constantFrom('Extract prices', 'Extract prices ', 'Line one\nLine two\n'),
      properties: fc.dictionary(
        fc.constantFrom('name', 'price', 'sku'),
        fc.record({ type: fc.constantFrom('string', 'number') }),
        { maxKeys: 3 },
      ),
      required: fc.subarray(['name', 'price']),
      proxy_locations: fc.subarray(['US', 'DE', 'FR']),
      payload: fc.record(
        { token: fc.constantFrom('secret-1', 'secret-2'), endpoint: fc.constantFrom('https://p.example/') },
        { requiredKeys: [] },
      ),
      limits: fc.constantFrom({}, { max_pages: 5 }),
    },
    { requiredKeys: ['name', 'scheduled', 'schedule', 'urls', 'objective', 'properties'] },
  )
  .map((r) => {
    const spec: Record<string, JsonValue> = {
      name: r.name,
      execution_type: r.scheduled ? 'scheduled' : 'single',
      urls: r.urls,
      objective: r.objective,
      output_schema: {
        type: 'object',
        properties: r.properties,
        ...(r.required !== undefined ? { required: r.required } : {}),
      },
    };
    if (r.scheduled) spec.schedule = r.schedule;
    for (const field of ['proxy_locations', 'payload', 'limits'] as const) {
      if (r[field] !== undefined) spec[field] = r[field] as JsonValue;
    }
    return spec as unknown as TaskSpec;
  });

/**
 * How a service may write back a task it was sent: in another key order, with extra spacing in the cron, with
 * explicit nulls, without empty lists and objects.
 */
const formArb = fc.record({
  reversed: fc.boolean(),
  spaced: fc.boolean(),
  nulls: fc.boolean(),
  dropEmpty: fc.boolean(),
});
type Form = { reversed: boolean; spaced: boolean; nulls: boolean; dropEmpty: boolean };

const isEmpty = (value: JsonValue | undefined): boolean =>
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);

function stored(body: JsonObject, form: Form): JsonObject {
  const out: JsonObject = { ...body };
  if (form.dropEmpty) for (const key of Object.keys(out)) if (isEmpty(out[key])) delete out[key];
  if (form.spaced && typeof out.schedule === 'string') out.schedule = out.schedule.replace(/ /g, '  ');
  if (form.nulls) {
    out.template_id = null;
    if (out.limits === undefined) out.limits = null;
  }
  const keys = Object.keys(out);
  if (form.reversed) keys.reverse();
  return JSON.parse(JSON.stringify(Object.fromEntries(keys.map((key) => [key, out[key]])))) as JsonObject;
}

interface State {
  desired: DesiredTask[];
  live: LiveTask[];
  /** The simulated service: id → stored body (with server fields). */
  server: Map<string, JsonObject>;
  lock: Lockfile | null;
  replace: string[];
  put: boolean;
}

const picks = <T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T[]> =>
  fc.array(arb, { minLength: n, maxLength: n });

const stateArb: fc.Arbitrary<State> = fc
  .record({
    pool: fc.array(specArb, { minLength: 2, maxLength: 4 }),
    desiredKeys: fc.subarray(KEYS),
    desiredPick: picks(fc.nat(3), 5),
    sensitive: picks(fc.boolean(), 5),
    previous: picks(fc.subarray(KEYS, { maxLength: 2 }), 5),
    desiredProtect: picks(fc.constantFrom(false, false, false, true), 5),
    lockKeys: fc.subarray(KEYS),
    lockIds: fc.shuffledSubarray(IDS, { minLength: 5, maxLength: 5 }),
    lockPick: picks(fc.nat(3), 5),
    lockProtect: picks(fc.constantFrom(false, false, false, true), 5),
    lockSensitive: picks(fc.boolean(), 5),
    liveIds: fc.subarray(IDS, { minLength: 3 }),
    livePick: picks(fc.nat(3), 6),
    liveForm: picks(formArb, 6),
    liveStamps: picks(fc.constantFrom(...STAMPS), 6),
    deleted: picks(fc.constantFrom(false, false, false, true), 6),
    /** Per lock entry: does the live task still hold what was applied? Per desired task: unchanged manifest? */
    inSync: picks(fc.boolean(), 5),
    unchanged: picks(fc.boolean(), 5),
    hasLock: fc.boolean(),
    replace: fc.subarray(KEYS, { maxLength: 2 }),
    put: fc.boolean(),
  })
  .map((r): State => {
    const fromPool = (i: number | undefined): TaskSpec => r.pool[(i ?? 0) % r.pool.length] as TaskSpec;
    const server = new Map<string, JsonObject>();
    r.liveIds.forEach((id, i) => {
      const stamp = r.liveStamps[i] as string;
      const body = stored(createBodyFromSpec(fromPool(r.livePick[i])), r.liveForm[i] as Form);
      server.set(id, {
        ...body,
        id,
        status: r.deleted[i] ? 'deleted' : 'active',
        created_at: stamp,
        updated_at: stamp,
      });
    });
    const live = [...server.values()].map(liveTaskFromBody);
    const tasks: Record<string, LockEntry> = {};
    const applied = new Map<string, TaskSpec>();
    r.lockKeys.forEach((key, i) => {
      const id = r.lockIds[i] as string;
      const current = live.find((task) => task.id === id && task.status !== 'deleted');
      // The service changes updated_at on every write: the lock carries the live updated_at only while the live
      // task still holds what titan applied.
      const inSync = r.inSync[i] === true && current?.spec !== undefined;
      const spec = inSync ? (current?.spec as TaskSpec) : fromPool(r.lockPick[i]);
      const sensitive = r.lockSensitive[i] === true && spec.payload?.token !== undefined;
      applied.set(key, spec);
      tasks[key] = {
        id,
        digest: appliedDigest(spec, sensitive ? ['/payload/token'] : []),
        updated_at: inSync ? (current?.updated_at as string) : '2023-12-31T00:00:00.000Z',
        file: `tasks/${key}.yaml`,
        protect: r.lockProtect[i] === true,
        ...(sensitive ? { sensitive: ['/payload/token'] } : {}),
      };
    });
    const desiredKeys = new Set(r.desiredKeys);
    const d = r.desiredKeys.map((key, i) => {
      const previousNames = (r.previous[i] ?? []).filter((name) => !desiredKeys.has(name));
      const before = [key, ...previousNames].map((k) => applied.get(k)).find((s) => s !== undefined);
      const spec =
        r.unchanged[i] === true && before !== undefined
          ? structuredClone(before)
          : fromPool(r.desiredPick[i]);
      const secret = r.sensitive[i] === true && spec.payload?.token !== undefined;
      return desired(key, spec, {
        previousNames,
        protect: r.desiredProtect[i] === true,
        sensitivePaths: secret ? ['/payload/token'] : [],
      });
    });
    return {
      desired: d,
      live,
      server,
      lock: r.hasLock ? lockOf(tasks) : null,
      replace: r.replace.filter((key) => desiredKeys.has(key)),
      put: r.put,
    };
  });

const planOf = (d: DesiredTask[], l: LiveTask[], lock: Lockfile | null, replace: string[] = []): Plan =>
  planChanges(d, l, lock, { origin: ORIGIN, allowMassDelete: true, replace });

/** What apply does with each change, against the simulated service: bodies in, bodies stored, tasks listed back. */
function simulateApply(plan: Plan, state: State): { live: LiveTask[]; lock: Lockfile } {
  const desiredByKey = new Map(state.desired.map((task) => [task.key, task]));
  const server = new Map([...state.server].filter(([, body]) => body.status !== 'deleted'));
  const tasks: Record<string, LockEntry> = { ...(state.lock?.tasks ?? {}) };
  let writes = 0;
  const stamp = (): string => new Date(Date.UTC(2024, 8, 1, 0, 0, (writes += 1))).toISOString();
  const form: Form = { reversed: true, spaced: true, nulls: true, dropEmpty: true };
  const taskOf = (key: string): DesiredTask => desiredByKey.get(key) as DesiredTask;
  const record = (key: string, id: string): void => {
    const task = taskOf(key);
    tasks[key] = {
      id,
      digest: appliedDigest(task.spec, task.sensitivePaths),
      updated_at: String(server.get(id)?.updated_at),
      file: `tasks/${key}.yaml`,
      protect: task.protect,
      ...(task.sensitivePaths.length > 0 ? { sensitive: task.sensitivePaths } : {}),
    };
  };
  const create = (key: string): void => {
    const id = `new-${writes + 1}`;
    const at = stamp();
    server.set(id, {
      ...stored(createBodyFromSpec(taskOf(key).spec), form),
      id,
      status: 'active',
      created_at: at,
      updated_at: at,
    });
    record(key, id);
  };
  const update = (key: string, id: string): void => {
    const current = server.get(id) as JsonObject;
    const spec = taskOf(key).spec;
    // PATCH merges (null removes a field); PUT replaces the whole body.
    const merged: JsonObject = state.put
      ? createBodyFromSpec(spec)
      : Object.fromEntries(
          Object.entries({ ...current, ...patchBodyFromSpec(spec) }).filter(([, value]) => value !== null),
        );
    server.set(id, {
      ...stored(merged, form),
      id,
      status: 'active',
      created_at: String(current.created_at),
      updated_at: stamp(),
    });
  };
  for (const change of plan.changes) {
    if (change.from_key !== undefined) delete tasks[change.from_key];
    switch (change.action) {
      case 'create':
        create(change.key);
        break;
      case 'replace':
        server.delete(change.id as string);
        create(change.key);
        break;
      case 'update':
      case 'move':
        if (needsApiWrite(change)) update(change.key, change.id as string);
        record(change.key, change.id as string);
        break;
      case 'delete':
        server.delete(change.id as string);
        delete tasks[change.key];
        break;
      case 'adopt':
      case 'noop':
        record(change.key, change.id as string);
        break;
    }
  }
  return {
    live: [...server.values()].map(liveTaskFromBody),
    lock: lockOf(tasks, (state.lock?.serial ?? 0) + 1),
  };
}

const decisions = (plan: Plan) =>
  plan.changes.map((c) => ({
    action: c.action,
    key: c.key,
    id: c.id,
    from_key: c.from_key,
    fields: c.fields.map((f) => f.field),
    drift: c.drift,
  }));

describe('planner properties', () => {
  it('apply, then plan is all noop; a plan touching a protected task is refused and names exactly those', () => {
    let applied = 0;
    fc.assert(
      fc.property(stateArb, (state) => {
        const first = planOf(state.desired, state.live, state.lock, state.replace);
        const endangered = first.changes
          .filter((c) => c.protect && ((c.action === 'delete' && !c.vanished) || c.action === 'replace'))
          .map((c) => c.key);
        for (const change of first.changes.filter((c) => c.action === 'delete')) {
          expect(change.protect).toBe(state.lock?.tasks[change.key]?.protect === true);
        }
        expect(first.refusals.flatMap((r) => r.keys)).toEqual(endangered);
        if (first.refusals.length > 0) return; // apply refuses it before any write
        applied += 1;
        const after = simulateApply(first, state);
        const second = planOf(state.desired, after.live, after.lock);
        expect(second.changes.filter((c) => c.action !== 'noop')).toEqual([]);
        expect(second.changes.map((c) => c.key)).toEqual(state.desired.map((t) => t.key).sort());
        expect(second.refusals).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    expect(applied).toBeGreaterThan(500); // most generated plans are applied, not refused
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
