// `npm run bench`: start-up, validate, plan and apply of the built CLI at scale, against emulators it starts itself.
// Prints a table with every target (pass/fail) and writes the figures as JSON to bench-results/.
//
//   node scripts/bench.mjs [--quick | --smoke] [--only startup,validate,plan,apply,rate] [--repeats N] [--out FILE]
//                          [--cache DIR] [--dist DIR] [--sizes 1000,10000] [--pages 100,1000] [--latencies 0,50]
//                          [--items full,summary] [--parallelism 1,8,16] [--baseline DIR]
//
// --quick runs a reduced matrix (small sizes, one repeat) in well under a minute. --smoke checks the harness itself
// on a few tasks in seconds (test/bench-smoke.test.ts). Seeded plan workspaces are cached in bench-results/.cache
// (or --cache DIR) and checked by an empty plan before reuse. --dist DIR benchmarks another build of titan (default:
// dist/, copied first so a rebuild during the run cannot mix two builds). --baseline DIR (a built dist/ of another
// commit, e.g. the previous main) runs the baseline suite: cold validate and plan CPU side by side with it. The warm,
// bare and scale suites compare warm with cold runs, titan's apply with a bare client's, and 3x the tasks.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, createScratch, removeScratch, rssMethod, snapshotBuild } from './bench/processes.mjs';
import { evaluateTargets, renderReport, writeResults } from './bench/report.mjs';
import { bareSuite, baselineSuite, scaleSuite, warmSuite } from './bench/compare.mjs';
import {
  applyOnce,
  applySuite,
  managedEmulator,
  planSuite,
  rateSuite,
  startupSuite,
  validateSuite,
} from './bench/suites.mjs';

const SUITES = ['startup', 'validate', 'plan', 'apply', 'rate', 'warm', 'baseline', 'bare', 'scale'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    cache: { type: 'string' },
    dist: { type: 'string' },
    baseline: { type: 'string' },
    sizes: { type: 'string' },
    pages: { type: 'string' },
    latencies: { type: 'string' },
    items: { type: 'string' },
    parallelism: { type: 'string' },
    only: { type: 'string' },
    repeats: { type: 'string' },
    out: { type: 'string' },
  },
});
const only = values.only ? values.only.split(',').map((name) => name.trim()) : SUITES;
for (const name of only)
  if (!SUITES.includes(name)) throw new Error(`--only: unknown suite ${name} (${SUITES.join(', ')})`);
const dist = path.resolve(values.dist ?? path.join(ROOT, 'dist'));
if (!existsSync(path.join(dist, 'titan.js')))
  throw new Error(`${dist}/titan.js is missing: run npm run build first`);

const { quick, smoke } = values;
const mode = smoke ? 'smoke' : quick ? 'quick' : 'full';
const repeats = values.repeats ? Number(values.repeats) : mode === 'full' ? 3 : 1;
const cache = path.resolve(values.cache ?? path.join(ROOT, 'bench-results', '.cache'));
const CONFIGS = {
  smoke: {
    startup: { runs: 2 },
    validate: { sizes: [20], repeats },
    plan: {
      sizes: [20],
      pages: [1000],
      latencies: [0],
      items: ['summary'],
      repeats,
      changedEvery: 10,
      cache,
    },
    apply: { creates: 10, latency: 0, parallelisms: [4], repeats },
    warm: { tasks: 20, repeats },
    baseline: { tasks: 20, repeats },
    bare: { creates: 10, latency: 0, parallelism: 4, repeats },
  },
  quick: {
    startup: { runs: 10 },
    validate: { sizes: [100, 1000], repeats },
    plan: { sizes: [100, 1000], pages: [1000], latencies: [0], items: ['full', 'summary'], repeats, cache },
    apply: { creates: 100, latency: 20, parallelisms: [8], repeats },
    // A faster limit than the real 120/min keeps the run short; the floor and shares scale with it.
    rate: { creates: 50, rpm: 240 },
    warm: { tasks: 1000, repeats },
    baseline: { tasks: 1000, repeats },
    bare: { creates: 100, latency: 20, parallelism: 8, repeats },
    scale: { small: 300, large: 900, parallelism: 8 },
  },
  full: {
    startup: { runs: 15 },
    validate: { sizes: [1000, 10_000], repeats },
    plan: {
      sizes: [1000, 10_000],
      pages: [100, 1000],
      latencies: [0, 50],
      items: ['full', 'summary'],
      repeats,
      cache,
    },
    apply: { creates: 500, latency: 20, parallelisms: [1, 8, 16], repeats },
    rate: { creates: 60, rpm: 120 },
    warm: { tasks: 10_000, repeats },
    baseline: { tasks: 10_000, repeats },
    bare: { creates: 500, latency: 20, parallelism: 8, repeats },
    scale: { small: 10_000, large: 30_000, parallelism: 8 },
  },
};
const config = CONFIGS[mode];
// Narrowing the matrix (to compare two builds on one scenario, say).
const list = (text, parse = Number) => text.split(',').map((item) => parse(item.trim()));
if (values.sizes) config.validate.sizes = config.plan.sizes = list(values.sizes);
if (values.pages) config.plan.pages = list(values.pages);
if (values.latencies) config.plan.latencies = list(values.latencies);
if (values.items) config.plan.items = list(values.items, String);
if (values.parallelism) config.apply.parallelisms = list(values.parallelism);
const runs = (suite) => only.includes(suite) && config[suite] !== undefined;
// The baseline suite needs another build: `--baseline DIR` (its dist/, e.g. of the previous main).
const baseline = values.baseline ? path.resolve(values.baseline) : undefined;
if (baseline !== undefined && !existsSync(path.join(baseline, 'titan.js')))
  throw new Error(`--baseline: ${baseline}/titan.js is missing (name a built dist/ folder)`);
const seeded = (tasks) => (dir) => managedEmulator(dir, tasks, cache);

await createScratch();
process.once('SIGINT', () => removeScratch().finally(() => process.exit(130)));
const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, '-');
const file = path.resolve(
  values.out ?? path.join(ROOT, 'bench-results', `bench-${mode === 'full' ? '' : `${mode}-`}${stamp}.json`),
);
const results = {};
try {
  await snapshotBuild(dist);
  if (runs('startup')) results.startup = await startupSuite(config.startup);
  if (runs('validate')) results.validate = await validateSuite(config.validate);
  if (runs('plan')) {
    const plan = await planSuite(config.plan);
    results.plan = plan.rows;
    results.seeds = plan.seeds;
  }
  if (runs('apply')) results.apply = await applySuite(config.apply);
  if (runs('rate')) results.rate = await rateSuite(config.rate);
  if (runs('warm')) results.warm = await warmSuite({ ...config.warm, seeded: seeded(config.warm.tasks) });
  if (runs('baseline') && baseline !== undefined) {
    const { tasks } = config.baseline;
    results.baseline = await baselineSuite({ ...config.baseline, baseline, seeded: seeded(tasks) });
  }
  if (runs('bare')) results.bare = await bareSuite({ ...config.bare, applyOnce });
  if (runs('scale')) results.scale = await scaleSuite(config.scale);
} finally {
  await removeScratch();
}

const targets = evaluateTargets(results);
await writeResults(file, results, targets, {
  startedAt: started.toISOString(),
  durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
  mode,
  repeats,
  config,
  rssMethod,
});
process.stdout.write(renderReport(results, targets, path.relative(process.cwd(), file) || file));
// Exit 0 whatever the targets say: the figures are the output (shared machines are noisy).
