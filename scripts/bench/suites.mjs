/**
 * The benchmark suites: start-up, validate, plan (the size × page × latency × list-items × change matrix) and
 * apply (parallelism against the latency floor; rate-limited against the rate floor). Each returns plain rows;
 * `report.mjs` turns them into targets, a table and JSON.
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateWorkspace } from './generate.mjs';
import { ROOT, TITAN, coldFlags, runNode, runTitan, startEmulator, tempDir } from './processes.mjs';
import { median, mode, round } from './stats.mjs';

/** Bump when the generator's output changes, so cached seeds are not reused. */
const GENERATOR_VERSION = 1;
const SEED = 1;
const FILES = 100;
/** The emulator's burst allowance (src/emulator/limits.ts): ten seconds' worth of requests. */
const burstOf = (rpm) => Math.max(1, Math.ceil(rpm / 6));

const log = (line) => process.stderr.write(`${line}\n`);

/** `titan --version` and `titan --help` against `node -e 0`, interleaved so noise hits all three alike. */
export async function startupSuite({ runs }) {
  const commands = {
    'node -e 0': ['-e', '0'],
    'titan --version': [TITAN, '--version'],
    'titan --help': [TITAN, '--help'],
  };
  const walls = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let run = -2; run < runs; run++) {
    for (const [name, args] of Object.entries(commands)) {
      const result = await runNode(args);
      if (result.code !== 0) throw new Error(`${name} exited with ${result.code}: ${result.stderr}`);
      if (run >= 0) walls[name].push(result.wallMs); // the first two rounds warm the file cache
    }
  }
  const rows = Object.entries(walls).map(([name, values]) => ({
    suite: 'startup',
    name,
    runs: values.length,
    wallMs: round(median(values), 1),
    walls: values.map((v) => round(v, 1)),
  }));
  log(`startup: ${rows.map((row) => `${row.name} ${row.wallMs} ms`).join(', ')}`);
  return rows;
}

/** `titan validate` of generated workspaces (offline). */
export async function validateSuite({ sizes, repeats }) {
  const rows = [];
  for (const tasks of sizes) {
    const dir = await tempDir(`validate-${tasks}`);
    const { bytes } = await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
    const results = [];
    for (let run = 0; run < repeats; run++)
      results.push(await runTitan(['validate', ...(await coldFlags())], { cwd: dir, rss: true }));
    const row = summarise(results, {
      suite: 'validate',
      name: `validate ${tasks}`,
      tasks,
      files: Math.min(FILES, tasks),
      manifestMb: round(bytes / 1e6, 2),
      expectedExit: 0,
    });
    rows.push(row);
    log(`validate ${tasks}: ${row.wallMs} ms, ${row.rssMb} MB, exit ${row.exit}`);
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * `titan plan` of managed workspaces. A managed workspace is seeded once per size by `titan apply` (cached in
 * bench-results/.cache and checked by an empty plan before use), then every emulator variant starts from a
 * copy of the seeded data folder.
 */
export async function planSuite({ sizes, pages, latencies, items, repeats, changedEvery = 100, cache }) {
  const rows = [];
  const seeds = [];
  for (const tasks of sizes) {
    const seed = await seededWorkspace(tasks, cache);
    seeds.push(seed.info);
    const unchanged = await tempDir(`plan-${tasks}`);
    const changed = await tempDir(`plan-${tasks}-changed`);
    await generateWorkspace(unchanged, { tasks, files: FILES, seed: SEED });
    const { changed: changedCount } = await generateWorkspace(changed, {
      tasks,
      files: FILES,
      seed: SEED,
      changedEvery,
    });
    for (const page of pages) {
      for (const latency of latencies) {
        for (const listItems of items) {
          const data = await tempDir('emulator');
          await cp(seed.dataDir, data, { recursive: true });
          const emulator = await startEmulator({ dataDir: data, maxPageSize: page, latency, listItems });
          try {
            for (const [variant, dir, changes, expectedExit] of [
              ['none', unchanged, 0, 0],
              [`${round(100 / changedEvery, 1)}%`, changed, changedCount, 2],
            ]) {
              await writeLock(dir, seed.lock, emulator.url);
              const results = [];
              // Every repeat where the targets look; one run elsewhere keeps a full run within minutes.
              const runs = latency === 0 && page === Math.max(...pages) ? repeats : 1;
              for (let run = 0; run < runs; run++) {
                results.push(
                  await measured(emulator, ['plan', '--detailed-exitcode', ...(await coldFlags())], {
                    cwd: dir,
                  }),
                );
              }
              const row = summarise(results, {
                suite: 'plan',
                name: `plan ${tasks} ${variant} page=${page} latency=${latency} ${listItems}`,
                tasks,
                changes,
                changed: variant,
                page,
                latency,
                listItems,
                expectedExit,
              });
              rows.push(row);
              log(
                `${row.name}: ${row.wallMs} ms, ${row.requests} requests (${row.fullReads} reads), ${row.rssMb} MB, exit ${row.exit}`,
              );
            }
          } finally {
            await emulator.stop();
            await rm(data, { recursive: true, force: true });
          }
        }
      }
    }
    await rm(unchanged, { recursive: true, force: true });
    await rm(changed, { recursive: true, force: true });
  }
  return { rows, seeds };
}

/** `titan apply` of `creates` new tasks at each parallelism, a fresh emulator per run, against the latency floor. */
export async function applySuite({ creates, latency, parallelisms, repeats }) {
  const rows = [];
  const dir = await tempDir(`apply-${creates}`);
  await generateWorkspace(dir, { tasks: creates, files: Math.min(FILES, creates), seed: SEED + 1 });
  for (const parallelism of parallelisms) {
    // The sequential run takes creates × latency at least: once is enough.
    const runs = parallelism === 1 ? 1 : repeats;
    const results = [];
    for (let run = 0; run < runs; run++) {
      results.push(await applyOnce(dir, creates, { latency }, ['--parallelism', String(parallelism)]));
    }
    const floorMs = (creates * latency) / parallelism;
    const row = summarise(results, {
      suite: 'apply',
      name: `apply ${creates} creates parallelism=${parallelism} latency=${latency}`,
      creates,
      parallelism,
      latency,
      floorMs,
      expectedExit: 0,
    });
    row.overFloor = floorMs > 0 ? round(row.wallMs / floorMs, 2) : undefined;
    row.liveTasks = results.map((result) => result.liveTasks);
    rows.push(row);
    log(
      `${row.name}: ${row.wallMs} ms (${row.overFloor ?? '-'} × floor ${floorMs} ms), ${row.requests} requests, exit ${row.exit}`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  return rows;
}

/** `titan apply` of `creates` new tasks under `--rate-limit rpm`, against the rate floor, counting 429s. */
export async function rateSuite({ creates, rpm, latency = 0 }) {
  const dir = await tempDir(`rate-${creates}`);
  await generateWorkspace(dir, { tasks: creates, files: Math.min(FILES, creates), seed: SEED + 2 });
  const result = await applyOnce(dir, creates, { latency, rateLimit: rpm }, []);
  const row = summarise([result], {
    suite: 'rate',
    name: `apply ${creates} creates rate-limit=${rpm}/min`,
    creates,
    rpm,
    latency,
    expectedExit: 0,
  });
  // The bucket starts full (`burst` requests at once), then refills at rpm/60 per second.
  const accepted = row.requests - row.rateLimited;
  row.burst = burstOf(rpm);
  row.floorMs = round((Math.max(0, accepted - row.burst) / (rpm / 60)) * 1000);
  row.throughputShare = row.floorMs > 0 ? round(row.floorMs / row.wallMs, 3) : undefined;
  // The same share from the first write to the last: what pacing achieves, without start-up and planning.
  row.writesShare =
    row.floorMs > 0 && row.phasesMs ? round(row.floorMs / Math.max(1, row.phasesMs.writes), 3) : undefined;
  row.rateLimitedShare = round(row.rateLimited / row.requests, 4);
  row.liveTasks = [result.liveTasks];
  row.failedChanges = creates - result.liveTasks;
  await rm(dir, { recursive: true, force: true });
  log(
    `${row.name}: ${row.wallMs} ms vs floor ${row.floorMs} ms (${row.throughputShare} of allowed), ${row.requests} requests, ${row.rateLimited} × 429, exit ${row.exit}`,
  );
  return [row];
}

export async function applyOnce(dir, creates, emulatorOptions, flags, inspect) {
  await rm(path.join(dir, 'titan.lock'), { force: true });
  await rm(path.join(dir, '.titan'), { recursive: true, force: true });
  const emulator = await startEmulator({ maxPageSize: 100, ...emulatorOptions });
  try {
    const result = await measured(emulator, ['apply', '--auto-approve', ...flags], { cwd: dir });
    result.liveTasks = await countLiveTasks(emulator);
    if (result.liveTasks !== creates) log(`  apply left ${result.liveTasks} live tasks, expected ${creates}`);
    await inspect?.(emulator);
    return result;
  } finally {
    await emulator.stop();
  }
}

/** Runs titan against `emulator` with peak RSS, and the requests and emulator CPU time the run caused. */
async function measured(emulator, args, options) {
  const from = await emulator.mark();
  const cpuBefore = await emulator.cpuMs();
  const result = await runTitan(args, { ...options, env: emulator.env(), rss: true });
  result.requests = emulator.requestsBetween(from, await emulator.mark());
  const cpuAfter = await emulator.cpuMs();
  if (cpuBefore !== undefined && cpuAfter !== undefined) result.emulatorCpuMs = round(cpuAfter - cpuBefore);
  return result;
}

async function countLiveTasks(emulator) {
  for (let attempt = 0; attempt < 30; attempt++) {
    const body = await emulator.get('/api/v1/tasks?limit=1');
    if (body.success) return body.pagination?.total ?? body.data?.total;
    await new Promise((resolve) => setTimeout(resolve, 1000)); // rate-limited: wait for the bucket
  }
  return undefined;
}

/** Median wall, requests of the median run, max RSS, the common exit code; every run kept in `runs`. */
function summarise(results, fields) {
  const walls = results.map((result) => result.wallMs);
  const wallMs = median(walls);
  const middle = results.reduce((best, result) =>
    Math.abs(result.wallMs - wallMs) < Math.abs(best.wallMs - wallMs) ? result : best,
  );
  const exits = results.map((result) => result.code);
  const rss = results.map((result) => result.rssKb).filter((value) => value !== undefined);
  const cpu = results.map((result) => result.cpuMs).filter((value) => value !== undefined);
  const row = {
    ...fields,
    runs: results.length,
    wallMs: round(wallMs),
    walls: walls.map((value) => round(value)),
    exit: mode(exits),
    exits,
    ok: exits.every((code) => code === fields.expectedExit),
    cpuMs: cpu.length > 0 ? round(median(cpu)) : undefined,
    emulatorCpuMs: middle.emulatorCpuMs,
    rssMb: rss.length > 0 ? round(Math.max(...rss) / 1024, 1) : undefined,
  };
  if (middle.requests?.firstWriteAt !== undefined) {
    // Start-up, manifests and planning before the first write was answered; the writes; the end (lock, report).
    row.phasesMs = {
      beforeFirstWrite: round(middle.requests.firstWriteAt - middle.startedAt),
      writes: round(middle.requests.lastWriteAt - middle.requests.firstWriteAt),
      afterLastWrite: round(middle.startedAt + middle.wallMs - middle.requests.lastWriteAt),
    };
  }
  if (middle.requests) {
    row.requests = middle.requests.total;
    row.rateLimited = middle.requests.rateLimited;
    row.fullReads = middle.requests.byRoute['GET /api/v1/tasks/:id'] ?? 0;
    row.byRoute = middle.requests.byRoute;
    row.byStatus = middle.requests.byStatus;
  }
  if (!row.ok) {
    const failed = results.find((result) => result.code !== fields.expectedExit);
    row.error = failed.stderr.trim().split('\n').slice(-5).join('\n');
    log(`  ${fields.name}: exit ${failed.code}, expected ${fields.expectedExit}: ${row.error}`);
  }
  return row;
}

/**
 * An emulator serving the seeded managed tasks of a workspace generated with `tasks` tasks (and the same seed),
 * with `dir`'s titan.lock pointed at it. Its data is a copy: stopping it removes nothing from the seed cache.
 */
export async function managedEmulator(dir, tasks, cache) {
  const seed = await seededWorkspace(tasks, cache);
  const data = await tempDir('emulator');
  await cp(seed.dataDir, data, { recursive: true });
  const emulator = await startEmulator({ dataDir: data, maxPageSize: 1000 });
  await writeLock(dir, seed.lock, emulator.url);
  return emulator;
}

/** Writes `lock` into `dir` as titan.lock with its origin pointed at `url` (each emulator gets a new port). */
async function writeLock(dir, lockText, url) {
  const lock = JSON.parse(lockText);
  await writeFile(
    path.join(dir, 'titan.lock'),
    lockText.replace(JSON.stringify(lock.origin), JSON.stringify(url)),
  );
}

/**
 * The emulator data folder and titan.lock of `tasks` managed tasks: from the cache when an empty plan confirms it
 * still matches what this build of titan would apply, else seeded by `titan apply` and cached.
 */
async function seededWorkspace(tasks, cache) {
  const cacheDir = path.join(cache, `seed-v${GENERATOR_VERSION}-s${SEED}-n${tasks}`);
  const dataDir = path.join(cacheDir, 'data');
  const lockPath = path.join(cacheDir, 'titan.lock');
  if (await exists(lockPath)) {
    const lock = await readFile(lockPath, 'utf8');
    if (await seedStillMatches(tasks, dataDir, lock)) {
      log(`plan ${tasks}: using the cached seed in ${path.relative(ROOT, cacheDir)}`);
      return { dataDir, lock, info: { tasks, cached: true } };
    }
    log(`plan ${tasks}: the cached seed no longer gives an empty plan; seeding again`);
  }
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const dir = await tempDir(`seed-${tasks}`);
  await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
  log(`plan ${tasks}: seeding ${tasks} tasks with titan apply (cached for later runs)…`);
  const emulator = await startEmulator({ dataDir, maxPageSize: 1000 });
  let result;
  try {
    result = await measured(emulator, ['apply', '--auto-approve', '--parallelism', '16'], {
      cwd: dir,
      timeoutMs: 1_800_000,
    });
  } finally {
    await emulator.stop();
  }
  if (result.code !== 0) {
    await rm(cacheDir, { recursive: true, force: true });
    throw new Error(`seeding apply exited with ${result.code}: ${result.stderr.slice(-2000)}`);
  }
  const lock = await readFile(path.join(dir, 'titan.lock'), 'utf8');
  await writeFile(lockPath, lock);
  await rm(dir, { recursive: true, force: true });
  const info = {
    tasks,
    cached: false,
    applyWallMs: round(result.wallMs),
    applyRssMb: round((result.rssKb ?? NaN) / 1024, 1),
    applyRequests: result.requests.total,
  };
  log(
    `plan ${tasks}: seeded in ${info.applyWallMs} ms (${info.applyRequests} requests, ${info.applyRssMb} MB)`,
  );
  return { dataDir, lock, info };
}

async function seedStillMatches(tasks, dataDir, lock) {
  const dir = await tempDir(`check-${tasks}`);
  const data = await tempDir('emulator');
  try {
    await generateWorkspace(dir, { tasks, files: FILES, seed: SEED });
    await cp(dataDir, data, { recursive: true });
    const emulator = await startEmulator({ dataDir: data, maxPageSize: 1000 });
    try {
      await writeLock(dir, lock, emulator.url);
      const result = await runTitan(['plan', '--detailed-exitcode'], { cwd: dir, env: emulator.env() });
      return result.code === 0;
    } finally {
      await emulator.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(data, { recursive: true, force: true });
  }
}

const exists = (file) =>
  stat(file).then(
    () => true,
    () => false,
  );
