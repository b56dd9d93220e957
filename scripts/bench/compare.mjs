/**
 * Side-by-side suites, each a ratio measured in one run so nobody has to trust an absolute time:
 * - warm: plan and validate with the check cache (one file changed) against the same command with --no-cache;
 * - baseline: validate and plan of this build against another build (`--baseline DIR`, e.g. the previous main);
 * - bare: titan apply against a bare client sending the same creates with the same concurrency;
 * - scale: validate, apply and plan at 3x the tasks.
 */
import { appendFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { generateWorkspace } from './generate.mjs';
import { TITAN, coldFlags, runNode, startEmulator, tempDir } from './processes.mjs';
import { median, round } from './stats.mjs';

const FILES = 100;
const SEED = 1;
const log = (line) => process.stderr.write(`${line}\n`);

/** Median of `repeats` runs of each command, interleaved so that noise hits them alike. */
async function interleaved(repeats, commands) {
  const results = commands.map(() => []);
  for (let run = 0; run < repeats; run++) {
    for (const [index, command] of commands.entries()) {
      await command.before?.();
      results[index].push(await runNode(command.args, { ...command.options, rss: true }));
    }
  }
  return results.map((runs, index) => {
    const exits = runs.map((run) => run.code);
    const expected = commands[index].expectedExit ?? 0;
    const failed = runs.find((run) => run.code !== expected);
    if (failed)
      log(
        `  ${commands[index].name}: exit ${failed.code}: ${failed.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    return {
      name: commands[index].name,
      wallMs: round(median(runs.map((run) => run.wallMs))),
      cpuMs: round(median(runs.map((run) => run.cpuMs ?? Number.NaN))),
      rssMb: round(Math.max(...runs.map((run) => run.rssKb ?? 0)) / 1024, 1),
      exits,
      ok: failed === undefined,
    };
  });
}

/** Appends a comment line to the first manifest file: one file changed, the plan unchanged. */
async function touchOneFile(dir, run) {
  const tasks = path.join(dir, 'tasks');
  const files = (await readdir(tasks, { recursive: true })).filter((name) => name.endsWith('.yaml')).sort();
  await appendFile(path.join(tasks, files[0]), `# edit ${run}\n`);
}

/** validate and plan of `tasks` tasks: warm (cache present, one file changed per run) against --no-cache. */
export async function warmSuite({ tasks, repeats, seeded }) {
  const dir = await tempDir(`warm-${tasks}`);
  await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
  const rows = [];
  const emulator = await seeded(dir);
  try {
    for (const command of ['validate', 'plan']) {
      const options = { cwd: dir, env: emulator.env() };
      await runNode([TITAN, command], options); // fills the cache
      let edits = 0;
      const [cold, warm] = await interleaved(repeats, [
        { name: `${command} ${tasks} cold (--no-cache)`, args: [TITAN, command, '--no-cache'], options },
        {
          name: `${command} ${tasks} warm (1 file changed)`,
          args: [TITAN, command],
          options,
          before: () => touchOneFile(dir, edits++),
        },
      ]);
      rows.push({ suite: 'warm', command, tasks, cold, warm, ratio: round(warm.wallMs / cold.wallMs, 3) });
      log(`warm ${command} ${tasks}: ${warm.wallMs} ms vs cold ${cold.wallMs} ms (${rows.at(-1).ratio})`);
    }
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Cold validate and plan CPU of this build against `baseline` (a dist folder of another build). */
export async function baselineSuite({ tasks, repeats, baseline, seeded }) {
  const other = path.join(baseline, 'titan.js');
  const dir = await tempDir(`baseline-${tasks}`);
  await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
  const emulator = await seeded(dir);
  const rows = [];
  try {
    const mine = await coldFlags(TITAN);
    const theirs = await coldFlags(other);
    for (const command of ['validate', 'plan']) {
      const options = { cwd: dir, env: emulator.env() };
      const [current, base] = await interleaved(repeats, [
        { name: `${command} ${tasks} (this build)`, args: [TITAN, command, ...mine], options },
        { name: `${command} ${tasks} (baseline)`, args: [other, command, ...theirs], options },
      ]);
      rows.push({
        suite: 'baseline',
        command,
        tasks,
        current,
        base,
        cpuRatio: round(current.cpuMs / base.cpuMs, 3),
      });
      log(
        `baseline ${command} ${tasks}: cpu ${current.cpuMs} ms vs ${base.cpuMs} ms (${rows.at(-1).cpuRatio})`,
      );
    }
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The fields a create sends (titan-api.md A2): what the bare client replays of what titan created. */
const INPUT_FIELDS = [
  'name',
  'urls',
  'objective',
  'output_schema',
  'execution_type',
  'schedule',
  'proxy_locations',
  'action_type',
  'input_source',
  'template_slug',
  'template_id',
  'script_id',
  'script_version',
  'limits',
  'payload',
  'execution_plan',
];

/** titan apply of `creates` tasks against a bare client POSTing the same bodies, `parallelism` at a time. */
export async function bareSuite({ creates, latency, parallelism, repeats, applyOnce }) {
  const dir = await tempDir(`bare-${creates}`);
  await generateWorkspace(dir, { tasks: creates, files: Math.min(FILES, creates), seed: SEED + 1 });
  const titanRuns = [];
  const bareRuns = [];
  let bodies;
  for (let run = 0; run < repeats; run++) {
    const result = await applyOnce(
      dir,
      creates,
      { latency },
      ['--parallelism', String(parallelism)],
      async (emulator) => {
        bodies ??= await createdBodies(emulator, creates);
      },
    );
    titanRuns.push(result);
    bareRuns.push(await bareCreates(bodies, latency, parallelism));
  }
  await rm(dir, { recursive: true, force: true });
  const titanWall = median(titanRuns.map((r) => r.wallMs));
  const bareWall = median(bareRuns);
  const firstWrite = median(
    titanRuns.map((r) => (r.requests?.firstWriteAt ?? Number.NaN) - r.startedAt).filter(Number.isFinite),
  );
  const row = {
    suite: 'bare',
    creates,
    latency,
    parallelism,
    titanMs: round(titanWall),
    bareMs: round(bareWall),
    ratio: round(titanWall / bareWall, 2),
    firstWriteMs: round(firstWrite),
    ok: titanRuns.every((r) => r.code === 0 && r.liveTasks === creates),
  };
  log(
    `bare ${creates} p${parallelism}: titan ${row.titanMs} ms vs bare ${row.bareMs} ms (${row.ratio}), first write ${row.firstWriteMs} ms`,
  );
  return [row];
}

async function createdBodies(emulator, expected) {
  const bodies = [];
  for (let page = 1; bodies.length < expected; page++) {
    const body = await emulator.get(`/api/v1/tasks?limit=100&page=${page}`);
    const items = body.data?.tasks ?? body.data?.items ?? body.data ?? [];
    if (!Array.isArray(items) || items.length === 0) break;
    for (const task of items)
      bodies.push(Object.fromEntries(INPUT_FIELDS.filter((f) => task[f] != null).map((f) => [f, task[f]])));
  }
  if (bodies.length !== expected)
    throw new Error(`bare client: read ${bodies.length} task bodies, expected ${expected}`);
  return bodies;
}

/** A fresh emulator; `bodies` POSTed by `parallelism` loops of plain fetch. Resolves the wall time (ms). */
async function bareCreates(bodies, latency, parallelism) {
  const emulator = await startEmulator({ maxPageSize: 100, latency });
  try {
    const started = performance.now();
    let next = 0;
    const loop = async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const response = await fetch(`${emulator.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        if (response.status !== 201 && response.status !== 200)
          throw new Error(`bare client: create answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: parallelism }, loop));
    return performance.now() - started;
  } finally {
    await emulator.stop();
  }
}

/** validate, apply (creates) and then plan (no changes) at `small` and 3x tasks: time and peak RSS ratios. */
export async function scaleSuite({ small, large, parallelism }) {
  const rows = [];
  const figures = {};
  for (const tasks of [small, large]) {
    const dir = await tempDir(`scale-${tasks}`);
    await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
    const flags = await coldFlags(TITAN);
    const validate = await runNode([TITAN, 'validate', ...flags], { cwd: dir, rss: true });
    const data = await tempDir(`scale-data-${tasks}`);
    const emulator = await startEmulator({ dataDir: data, maxPageSize: 1000 });
    try {
      const options = { cwd: dir, env: emulator.env(), rss: true, timeoutMs: 1_800_000 };
      const apply = await runNode(
        [TITAN, 'apply', '--auto-approve', '--parallelism', String(parallelism), ...flags],
        options,
      );
      const plan = await runNode([TITAN, 'plan', '--detailed-exitcode', ...flags], options);
      figures[tasks] = { validate, apply, plan };
      for (const [name, result, expected] of [
        ['validate', validate, 0],
        ['apply', apply, 0],
        ['plan', plan, 0],
      ])
        if (result.code !== expected)
          log(`  scale ${name} ${tasks}: exit ${result.code}: ${result.stderr.slice(-300)}`);
      log(
        `scale ${tasks}: validate ${round(validate.wallMs)} ms, apply ${round(apply.wallMs)} ms ${round(apply.rssKb / 1024)} MB, plan ${round(plan.wallMs)} ms`,
      );
    } finally {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(data, { recursive: true, force: true });
    }
  }
  for (const command of ['validate', 'apply', 'plan']) {
    const a = figures[small][command];
    const b = figures[large][command];
    rows.push({
      suite: 'scale',
      command,
      small,
      large,
      timeRatio: round(b.wallMs / a.wallMs, 2),
      cpuRatio: a.cpuMs && b.cpuMs ? round(b.cpuMs / a.cpuMs, 2) : undefined,
      rssRatio: a.rssKb && b.rssKb ? round(b.rssKb / a.rssKb, 2) : undefined,
      ok: a.code === 0 && b.code === 0,
    });
  }
  return rows;
}
