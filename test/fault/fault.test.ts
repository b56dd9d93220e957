/**
 * Applies against a misbehaving service: 5xx answers, 429 storms without Retry-After, writes committed and then
 * dropped, hanging requests. Each apply must converge on its own, and the emulator's own count of tasks proves
 * that no create was sent twice for the same task.
 */
import { describe, expect, it } from 'vitest';
import { specsEqual } from '../../src/core/plan/normalize.js';
import type { TaskSpec } from '../../src/core/model.js';
import { createClient } from '../../src/io/api/client.js';
import { ServerError } from '../../src/io/api/errors.js';
import type { TaskServiceClient } from '../../src/core/service/types.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import {
  applyInProcess,
  classicTask,
  clientFor,
  createWorkspace,
  describeRun,
  liveTasks,
  planIsEmpty,
  titan,
  type ManifestSpec,
  type Workspace,
} from '../e2e/apply-support.js';
import { seededRandom } from '../../src/core/random.js';
import { readLockfile } from '../../src/io/lockfile.js';

const LONG = process.env.TITAN_CRASH_LONG === '1';

async function withFaults<T>(options: EmulatorOptions, body: (emulator: Emulator) => Promise<T>): Promise<T> {
  const emulator = await createEmulator({ quiet: true, port: 0, scheduler: false, ...options });
  try {
    return await body(emulator);
  } finally {
    await emulator.close();
  }
}

/** Every desired task exists exactly once, equal to its manifest, recorded under its key. */
async function expectConverged(
  ws: Workspace,
  emulator: Emulator,
  desired: readonly ManifestSpec[],
): Promise<void> {
  const live = await liveTasks(emulator);
  expect(live).toHaveLength(desired.length);
  const lock = await readLockfile(`${ws.dir}/titan.lock`);
  expect(Object.keys(lock?.tasks ?? {})).toHaveLength(desired.length);
  const byId = new Map(live.map((task) => [task.id, task]));
  for (const task of desired) {
    const entry = lock?.tasks[task.key];
    const remote = entry ? byId.get(entry.id) : undefined;
    expect(remote?.spec && specsEqual(remote.spec, task.spec), `${task.key} is live and equal`).toBe(true);
  }
  expect((await planIsEmpty(ws, emulator)).keys).toEqual([]);
}

const tasks = (count: number) =>
  Array.from({ length: count }, (_, i) => classicTask(`t${String(i + 1).padStart(3, '0')}`));

describe('fault suite', () => {
  it('a 300-task apply converges through 20 % 5xx, 429 storms and 10 % dropped creates, with no duplicate', async () => {
    const count = LONG ? 1000 : 300;
    // Each 429 storm pauses every request until the next second (the client paces on X-RateLimit-Reset), so CI
    // runs a handful of storms and the long run many.
    const throttleRate = LONG ? 0.05 : 0.015;
    await withFaults(
      { faultRate: 0.2, throttleRate, dropAfterCommit: 0.1, maxPageSize: 100, random: seededRandom(300) },
      async (emulator) => {
        const ws = createWorkspace('titan-fault-', true);
        ws.writeManifests(tasks(count));
        const result = await titan(ws, emulator, ['apply', '--auto-approve']);
        expect(result.code, describeRun(result)).toBe(0);
        expect(result.stdout).toMatch(/found on the service after a lost answer; not sent twice/);
        expect(emulator.stats().faults.drops).toBeGreaterThan(0);
        expect(emulator.stats().rateLimited).toBeGreaterThan(0);
        // The emulator counts every task ever created, deleted or not: exactly one per manifest.
        expect(emulator.remote.taskCount()).toBe(count);
        await expectConverged(ws, emulator, tasks(count));
      },
    );
  }, 300_000);

  it('settles creates whose requests hang past the deadline; a read that times out fails the run, the next converges', async () => {
    await withFaults({ hangRate: 0.1, random: seededRandom(7) }, async (emulator) => {
      const ws = createWorkspace('titan-fault-', true);
      ws.writeManifests(tasks(40));
      const client = createClient({ origin: emulator.url, token: emulator.token, timeoutMs: 300 });
      let runs = 0;
      let last = { code: -1, output: '' };
      while (last.code !== 0 && runs < 6) {
        runs++;
        // A create that timed out is only believed lost once its window (deadline + margin) has passed.
        last = await applyInProcess(ws, emulator, {}, { client, deps: { createWindowMs: 1_000 } });
        // A failed run fails closed: exit 1 (a read or write timed out), never a partial "create everything".
        expect([0, 1], last.output).toContain(last.code);
      }
      expect(last.code, last.output).toBe(0);
      expect(emulator.stats().faults.hangs).toBeGreaterThan(0);
      expect(emulator.remote.taskCount()).toBe(40);
      await expectConverged(ws, emulator, tasks(40));
    });
  }, 120_000);

  it('updates and deletes through 5xx and dropped answers converge (they are safe to repeat)', async () => {
    await withFaults({ faultRate: 0.2, dropAfterCommit: 0.1, random: seededRandom(60) }, async (emulator) => {
      const ws = createWorkspace('titan-fault-', true);
      ws.writeManifests(tasks(60));
      const first = await applyInProcess(ws, emulator);
      expect(first.code, first.output).toBe(0);
      expect(emulator.remote.taskCount()).toBe(60); // every task ever created: none twice
      const edited = tasks(30).map((task) => classicTask(task.key, 2));
      ws.writeManifests(edited);
      const second = await applyInProcess(ws, emulator);
      expect(second.code, second.output).toBe(0);
      expect(second.output).toMatch(/30 updated, 30 deleted/);
      await expectConverged(ws, emulator, edited);
    });
  }, 120_000);

  describe('a create the service keeps refusing with 5xx (not carried out)', () => {
    /** The real client, except that its first `failures` creates get a 503 without reaching the service. */
    function refusingCreates(
      real: TaskServiceClient,
      failures: number,
    ): TaskServiceClient & { refused: number } {
      const counter = { refused: 0 };
      const createTask = async (spec: TaskSpec) => {
        if (counter.refused < failures) {
          counter.refused++;
          throw new ServerError({
            method: 'POST',
            path: '/api/v1/tasks',
            status: 503,
            code: 'SERVICE_UNAVAILABLE',
            message: 'the Task Service answered 503 (POST /api/v1/tasks)',
          });
        }
        return real.createTask(spec);
      };
      return new Proxy(real, {
        get(target, property) {
          if (property === 'createTask') return createTask;
          if (property === 'refused') return counter.refused;
          const value: unknown = Reflect.get(target, property);
          return typeof value === 'function'
            ? (value as (...args: unknown[]) => unknown).bind(target)
            : value;
        },
      }) as TaskServiceClient & { refused: number };
    }

    /** A clock that moves only when titan sleeps: the retry budget is measured without waiting for it. */
    function fakeTime() {
      const clock = { now: Date.parse('2025-01-01T00:00:00Z') };
      return {
        clock,
        deps: {
          now: () => new Date(clock.now),
          sleep: async (ms: number) => {
            clock.now += ms;
          },
        },
      };
    }

    it('is tried again past five attempts while its retry budget lasts, and made once', async () => {
      await withFaults({}, async (emulator) => {
        const ws = createWorkspace('titan-fault-', true);
        ws.writeManifests(tasks(1));
        const client = refusingCreates(clientFor(emulator), 7);
        const result = await applyInProcess(ws, emulator, {}, { client, deps: fakeTime().deps });
        expect(result.code, result.output).toBe(0);
        expect(client.refused).toBe(7);
        expect(emulator.remote.taskCount()).toBe(1);
        await expectConverged(ws, emulator, tasks(1));
      });
    });

    it('fails the change once the budget is spent (exit 1), having created nothing', async () => {
      await withFaults({}, async (emulator) => {
        const ws = createWorkspace('titan-fault-', true);
        ws.writeManifests(tasks(1));
        const client = refusingCreates(clientFor(emulator), Number.POSITIVE_INFINITY);
        const time = fakeTime();
        const started = time.clock.now;
        const result = await applyInProcess(ws, emulator, {}, { client, deps: time.deps });
        expect(result.code, result.output).toBe(1);
        expect(result.output).toContain('the Task Service answered 503');
        expect(time.clock.now - started).toBeGreaterThanOrEqual(30_000);
        expect(time.clock.now - started).toBeLessThan(60_000);
        expect(client.refused).toBeGreaterThan(5);
        expect(emulator.remote.taskCount()).toBe(0);
      });
    });
  });
});
