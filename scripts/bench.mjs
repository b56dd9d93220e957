// `npm run bench`: start-up, validate, plan and apply of the built CLI at scale, against emulators it starts itself.
// Prints a table with every target (pass/fail) and writes the figures as JSON to bench-results/.
//
//   node scripts/bench.mjs [--quick] [--only startup,validate,plan,apply,rate] [--repeats N] [--out FILE]
//
// --quick runs a reduced matrix (small sizes, one repeat) in well under a minute once the plan seeds are cached.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rm } from 'node:fs/promises';
import { ROOT, TITAN, rssMethod, snapshotBuild } from './bench/processes.mjs';
import { evaluateTargets, renderReport, writeResults } from './bench/report.mjs';
import { applySuite, planSuite, rateSuite, startupSuite, validateSuite } from './bench/suites.mjs';

const SUITES = ['startup', 'validate', 'plan', 'apply', 'rate'];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    repeats: { type: 'string' },
    out: { type: 'string' },
  },
});
const only = values.only ? values.only.split(',').map((name) => name.trim()) : SUITES;
for (const name of only) if (!SUITES.includes(name)) throw new Error(`--only: unknown suite ${name} (${SUITES.join(', ')})`);
if (!existsSync(TITAN)) throw new Error(`${TITAN} is missing: run npm run build first`);

const quick = values.quick;
const repeats = values.repeats ? Number(values.repeats) : quick ? 1 : 3;
const config = quick
  ? {
      startup: { runs: 10 },
      validate: { sizes: [100, 1000], repeats },
      plan: { sizes: [100, 1000], pages: [1000], latencies: [0], items: ['full', 'summary'], repeats },
      apply: { creates: 100, latency: 20, parallelisms: [8], repeats },
      rate: { creates: 30, rpm: 120 },
    }
  : {
      startup: { runs: 15 },
      validate: { sizes: [1000, 10_000], repeats },
      plan: { sizes: [1000, 10_000], pages: [100, 1000], latencies: [0, 50], items: ['full', 'summary'], repeats },
      apply: { creates: 500, latency: 20, parallelisms: [1, 8, 16], repeats },
      rate: { creates: 60, rpm: 120 },
    };

const build = await snapshotBuild();
const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, '-');
const file = path.resolve(values.out ?? path.join(ROOT, 'bench-results', `bench-${quick ? 'quick-' : ''}${stamp}.json`));
const results = {};
if (only.includes('startup')) results.startup = await startupSuite(config.startup);
if (only.includes('validate')) results.validate = await validateSuite(config.validate);
if (only.includes('plan')) {
  const plan = await planSuite(config.plan);
  results.plan = plan.rows;
  results.seeds = plan.seeds;
}
if (only.includes('apply')) results.apply = await applySuite(config.apply);
if (only.includes('rate')) results.rate = await rateSuite(config.rate);

const targets = evaluateTargets(results);
await writeResults(file, results, targets, {
  startedAt: started.toISOString(),
  durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
  quick,
  repeats,
  config,
  rssMethod,
});
await rm(build, { recursive: true, force: true });
process.stdout.write(renderReport(results, targets, path.relative(process.cwd(), file) || file));
// Exit 0 whatever the targets say: the figures are the output (shared machines are noisy).
