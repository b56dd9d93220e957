/**
 * Kill -9 an apply of a 30-change plan at chosen boundaries and at random instants, re-apply, and check that
 * nothing was duplicated, lost or touched. CI samples every kind of boundary (a durable intent, an answer that
 * reached titan but not yet the journal, a durable outcome, a lock-only record, a compaction) for creates, updates
 * and deletes, with both aftermaths, plus a few random instants; `npm run test:crash-long` visits every boundary
 * of a sequential and of a concurrent apply, with both aftermaths, and many more random instants.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { planIsEmpty } from '../e2e/apply-support.js';
import {
  prepareScenario,
  runCrashCase,
  type Aftermath,
  type CrashCase,
  type CrashOutcome,
} from './harness.js';

const LONG = process.env.TITAN_CRASH_LONG === '1';
const CONCURRENCY = 2;
/** More boundaries than any run of the scenario passes; the loop stops at the first run that completes. */
const MAX_BOUNDARIES = 400;

/** Runs cases a few at a time; resolves each case with its outcome. */
async function runAll(cases: readonly CrashCase[]): Promise<{ crash: CrashCase; outcome: CrashOutcome }[]> {
  const results: { crash: CrashCase; outcome: CrashOutcome }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) {
      const crash = cases[i] as CrashCase;
      results.push({ crash, outcome: await runCrashCase(crash) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

const failuresOf = (results: readonly { crash: CrashCase; outcome: CrashOutcome }[]): string[] =>
  results
    .filter(({ outcome }) => outcome.problems.length > 0)
    .map(({ crash, outcome }) => `${JSON.stringify(crash)}:\n  ${outcome.problems.join('\n  ')}`);

/**
 * Boundaries of the sequential apply (TITAN_TEST_CRASH_AT labels), each kind for each kind of write, early and
 * late in the run. Every one of them exists in the scenario: a case that completes means the sample went stale.
 */
const SAMPLED_BOUNDARIES = [
  'intent:create:1',
  'intent:create:7',
  'answered:create:1',
  'answered:create:10',
  'intent:update:1',
  'answered:update:5',
  'intent:delete:3',
  'answered:delete:10',
  'done:1',
  'done:20',
  'lock:1',
  'compacted:1',
];

/** Every boundary, in batches, until a run completes without reaching its boundary. */
async function everyBoundary(
  aftermath: Aftermath,
  parallelism: number,
): Promise<{ failures: string[]; visited: number }> {
  const failures: string[] = [];
  let visited = 0;
  for (let start = 1; start <= MAX_BOUNDARIES; start += CONCURRENCY) {
    const batch: CrashCase[] = [];
    for (let k = 0; k < CONCURRENCY; k++) batch.push({ boundary: start + k, aftermath, parallelism });
    const results = await Promise.all(
      batch.map(async (crash) => ({ crash, outcome: await runCrashCase(crash) })),
    );
    failures.push(...failuresOf(results));
    visited += results.filter(({ outcome }) => !outcome.completed).length;
    if (results.some(({ outcome }) => outcome.completed)) return { failures, visited };
  }
  throw new Error(`the apply passed more than ${MAX_BOUNDARIES} boundaries`);
}

describe('crash harness: kill -9 during apply', () => {
  it('starts from the state a completed apply leaves (the seeded workspace plans empty)', async () => {
    const scenario = await prepareScenario({}, false);
    try {
      expect((await planIsEmpty(scenario.ws, scenario.emulator)).keys).toEqual([]);
    } finally {
      await scenario.close();
    }
  });

  it('converges after a crash at every kind of boundary, on the same machine and on a new CI runner', async () => {
    const cases: CrashCase[] = [];
    for (const aftermath of ['keep', 'reset'] as const) {
      for (const at of SAMPLED_BOUNDARIES) cases.push({ at, aftermath, parallelism: 1 });
    }
    // A concurrent apply (8 writes in flight) killed early, mid-way and at a late compaction.
    cases.push({ at: 'answered:create:3', aftermath: 'keep', parallelism: 8 });
    cases.push({ at: 'intent:delete:5', aftermath: 'reset', parallelism: 8 });
    cases.push({ at: 'done:25', aftermath: 'keep', parallelism: 8 });
    const results = await runAll(cases);
    expect(failuresOf(results)).toEqual([]);
    const stale = results.filter(({ outcome }) => outcome.completed).map(({ crash }) => crash.at);
    expect(stale, 'boundaries the apply never reached').toEqual([]);
  }, 600_000);

  it('converges after kills at random instants once writes are in flight', async () => {
    const seeds = LONG ? 200 : 6;
    const cases: CrashCase[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = seededRandom(seed);
      cases.push({
        afterFirstWriteMs: Math.round(rand() * 150),
        aftermath: rand() < 0.5 ? 'keep' : 'reset',
        parallelism: 8,
        emulator: { latencyMs: 10 + Math.round(rand() * 20) },
      });
    }
    const results = await runAll(cases);
    expect(failuresOf(results)).toEqual([]);
    // The kills land while the apply runs: most cases stop it part-way, after some writes reached the service.
    const midRun = results.filter(({ outcome }) => !outcome.completed);
    expect(midRun.length).toBeGreaterThanOrEqual(Math.ceil(seeds / 2));
    for (const { outcome } of midRun) expect(outcome.writesAtKill).toBeGreaterThan(0);
  }, 1_200_000);

  if (LONG) {
    for (const aftermath of ['keep', 'reset'] as const) {
      for (const parallelism of [1, 8]) {
        it(`converges after a crash at every boundary (${aftermath}, parallelism ${parallelism})`, async () => {
          const { failures, visited } = await everyBoundary(aftermath, parallelism);
          expect(visited).toBeGreaterThanOrEqual(60);
          expect(failures).toEqual([]);
        }, 3_600_000);
      }
    }
  }
});
