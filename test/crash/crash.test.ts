/**
 * Kill -9 an apply of a 30-change plan at every journal boundary and at random instants, re-apply, and check
 * that nothing was duplicated, lost or touched. CI runs every boundary once (plus a sample with the lockfile
 * reset to its committed version and a few random instants); `npm run test:crash-long` runs all of it, more.
 */
import { describe, expect, it } from 'vitest';
import { planIsEmpty, seededRandom } from '../e2e/apply-support.js';
import { prepareScenario, runCrashCase, type Aftermath, type CrashCase } from './harness.js';

const LONG = process.env.TITAN_CRASH_LONG === '1';
const CONCURRENCY = 2;
/** More boundaries than any run of the scenario passes; the loop stops at the first run that completes. */
const MAX_BOUNDARIES = 400;

/** Runs cases a few at a time; resolves the failures, each described with its case. */
async function runAll(cases: readonly CrashCase[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) {
      const crash = cases[i] as CrashCase;
      const outcome = await runCrashCase(crash);
      if (outcome.problems.length > 0)
        failures.push(`${JSON.stringify(crash)}:\n  ${outcome.problems.join('\n  ')}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return failures;
}

/** Every boundary, in batches, until a run completes without reaching its boundary. */
async function everyBoundary(
  aftermath: Aftermath,
  parallelism: number,
  step: number,
): Promise<{ failures: string[]; visited: number }> {
  const failures: string[] = [];
  let visited = 0;
  for (let start = 1; start <= MAX_BOUNDARIES; start += CONCURRENCY * step) {
    const batch: CrashCase[] = [];
    for (let k = 0; k < CONCURRENCY; k++) batch.push({ boundary: start + k * step, aftermath, parallelism });
    const outcomes = await Promise.all(
      batch.map(async (crash) => ({ crash, outcome: await runCrashCase(crash) })),
    );
    let finished = false;
    for (const { crash, outcome } of outcomes) {
      if (outcome.problems.length > 0)
        failures.push(`${JSON.stringify(crash)}:\n  ${outcome.problems.join('\n  ')}`);
      if (outcome.completed) finished = true;
      else visited++;
    }
    if (finished) return { failures, visited };
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

  it('converges after a crash at every journal boundary (same machine re-applies)', async () => {
    const { failures, visited } = await everyBoundary('keep', 1, 1);
    expect(visited).toBeGreaterThanOrEqual(30);
    expect(failures).toEqual([]);
    // The long run also crashes a concurrent apply (8 writes in flight) at each of its boundaries.
    if (LONG) expect((await everyBoundary('keep', 8, 1)).failures).toEqual([]);
  }, 600_000);

  it('converges after a crash when the lockfile is reset to its last committed version and .titan/ is lost', async () => {
    const { failures, visited } = await everyBoundary('reset', 1, LONG ? 1 : 4);
    expect(visited).toBeGreaterThanOrEqual(LONG ? 30 : 8);
    expect(failures).toEqual([]);
    if (LONG) expect((await everyBoundary('reset', 8, 1)).failures).toEqual([]);
  }, 600_000);

  it('converges after kills at random instants, with concurrent writes in flight', async () => {
    const seeds = LONG ? 200 : 6;
    const cases: CrashCase[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = seededRandom(seed);
      cases.push({
        afterMs: Math.round(150 + rand() * 900),
        aftermath: rand() < 0.5 ? 'keep' : 'reset',
        parallelism: 8,
        emulator: { latencyMs: 2 + Math.round(rand() * 6) },
      });
    }
    expect(await runAll(cases)).toEqual([]);
  }, 1_200_000);
});
