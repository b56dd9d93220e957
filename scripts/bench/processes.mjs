/**
 * Child processes for the benchmarks: the built CLI timed from spawn to exit (peak RSS through `/usr/bin/time`, or
 * a `--import` probe where it is missing), and emulators started as separate processes whose per-request log
 * lines on stderr are the request counter.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The CLI under test; `snapshotBuild` points it at a private copy of dist/. */
export let TITAN = path.join(ROOT, 'dist', 'titan.js');
const TIME = '/usr/bin/time';
const RSS_PROBE = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
const hasTime = existsSync(TIME);
/** Emulator processes still running, stopped if the run ends early. */
const emulators = new Set();
// An emulator must not outlive a harness that failed: it is a separate process.
process.once('exit', () => {
  for (const child of emulators) child.kill('SIGKILL');
});
/** USER_HZ: 100 on every common Linux build. */
const CLOCK_TICKS = 100;

/** How peak RSS is measured, for the report. */
export const rssMethod = hasTime
  ? '/usr/bin/time -f "%M %U %S"'
  : 'process.resourceUsage().maxRSS via --import';

/**
 * Runs `node <args>` and resolves `{ code, wallMs, cpuMs?, rssKb?, stdoutBytes, stderr }` (CPU time, user +
 * system, only with `/usr/bin/time`: on a shared machine it moves less than wall time). Output is drained (a plan of
 * 10,000 tasks is large) but only stderr is kept, for error messages.
 * @param {string[]} args  arguments after `node`
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, rss?: boolean, timeoutMs?: number }} options
 */
export async function runNode(args, { cwd = ROOT, env = cleanEnv(), rss = false, timeoutMs = 300_000 } = {}) {
  let command = process.execPath;
  let argv = args;
  let rssFile;
  if (rss) {
    rssFile = path.join(os.tmpdir(), `titan-bench-rss-${process.pid}-${randomBytes(4).toString('hex')}`);
    if (hasTime) {
      command = TIME;
      argv = ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...args];
    } else {
      argv = ['--import', RSS_PROBE, ...args];
      env = { ...env, TITAN_BENCH_RSS_FILE: rssFile };
    }
  }
  const started = performance.now();
  const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdoutBytes = 0;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdoutBytes += chunk.length;
    if (stdout.length < 200_000) stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 200_000) stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve(exitCode ?? (signal ? `signal ${signal}` : -1)));
  });
  const wallMs = performance.now() - started;
  clearTimeout(timer);
  let rssKb;
  let cpuMs;
  if (rssFile) {
    const text = await readFile(rssFile, 'utf8').catch(() => '');
    // `time` writes "Command exited with non-zero status N" before the figures when the command fails.
    const [rss, user, system] = text.trim().split('\n').pop().split(' ').map(Number);
    if (Number.isFinite(rss) && rss > 0) rssKb = rss;
    if (Number.isFinite(user) && Number.isFinite(system)) cpuMs = (user + system) * 1000;
    await rm(rssFile, { force: true });
  }
  return { code, startedAt: started, wallMs, cpuMs, rssKb, stdoutBytes, stdout, stderr };
}

/**
 * Only what titan needs: no TITAN_* or CI variables of the caller (on GitHub Actions, a plan would otherwise write
 * annotations and append itself to the job summary).
 */
export const cleanEnv = (extra = {}) => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  ...extra,
});

/** `runNode` for the built CLI. */
export const runTitan = (args, options) => runNode([TITAN, ...args], options);

const coldFlagsByBuild = new Map();

/**
 * The flags of a cold run: `--no-cache` for a build with the check cache (else its repeats would be warm), none
 * for an older build, which would refuse the flag.
 */
export async function coldFlags(titan = TITAN) {
  if (!coldFlagsByBuild.has(titan)) {
    const help = await runNode([titan, '--help']);
    coldFlagsByBuild.set(titan, help.stdout.includes('--no-cache') ? ['--no-cache'] : []);
  }
  return coldFlagsByBuild.get(titan);
}

/**
 * Starts `titan emulator` as a separate process and resolves a handle:
 * `{ url, token, mark(), requestsSince(mark), stop() }`. Requests are counted from the emulator's log (one line per
 * answered request: `METHOD /path STATUS Nms`); `mark()` sends an unauthenticated sentinel request and waits for
 * its log line, so every request answered before it is counted exactly.
 * @param {{ dataDir?: string, maxPageSize?: number, latency?: number, listItems?: 'full'|'summary', rateLimit?: number }} options
 */
export async function startEmulator({
  dataDir,
  maxPageSize = 100,
  latency = 0,
  listItems = 'full',
  rateLimit = 0,
} = {}) {
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const args = [
    TITAN,
    'emulator',
    '--port',
    '0',
    '--token',
    token,
    '--no-scheduler',
    '--max-page-size',
    String(maxPageSize),
    '--latency',
    String(latency),
    '--list-items',
    listItems,
    '--rate-limit',
    String(rateLimit),
  ];
  if (dataDir) args.push('--data-dir', dataDir);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  emulators.add(child);
  child.once('exit', () => emulators.delete(child));
  /** @type {{ method: string, path: string, status: number, at: number }[]} */
  const log = [];
  const waiters = new Set();
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^([A-Z]+) (\S+) (\d{3}) \d+ms$/.exec(line);
      if (match)
        log.push({ method: match[1], path: match[2], status: Number(match[3]), at: performance.now() });
      else if (line.trim() !== '') process.stderr.write(`emulator: ${line}\n`);
    }
    for (const waiter of waiters) waiter();
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    const onData = (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before listening: ${out}`)));
  });

  let sentinels = 0;
  const waitFor = (predicate) =>
    new Promise((resolve) => {
      const check = () => {
        const index = predicate();
        if (index >= 0) {
          waiters.delete(check);
          resolve(index);
        }
      };
      waiters.add(check);
      check();
    });

  return {
    url,
    token,
    env: (extra = {}) => cleanEnv({ TITAN_API_URL: url, TITAN_TOKEN: token, ...extra }),
    /** Resolves an index into the log: every request answered so far is before it. */
    async mark() {
      const sentinel = `/bench-sentinel-${sentinels++}`;
      const from = log.length;
      const answered = fetch(`${url}${sentinel}`).then((response) => response.arrayBuffer());
      const index = await waitFor(() => log.findIndex((entry, i) => i >= from && entry.path === sentinel));
      await answered;
      return index + 1;
    },
    /** Requests logged between two marks (sentinels excluded), with counts by status and by route. */
    requestsBetween(from, to) {
      const entries = log.slice(from, to).filter((entry) => !entry.path.startsWith('/bench-sentinel-'));
      const byStatus = {};
      const byRoute = {};
      for (const entry of entries) {
        byStatus[entry.status] = (byStatus[entry.status] ?? 0) + 1;
        const route = `${entry.method} ${entry.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id')}`;
        byRoute[route] = (byRoute[route] ?? 0) + 1;
      }
      // When writes were answered (harness clock, as `performance.now()` in `runNode`): splits an apply into
      // start-up + planning, the writes, and what follows them.
      const writes = entries.filter((entry) => entry.method !== 'GET');
      return {
        total: entries.length,
        byStatus,
        byRoute,
        rateLimited: byStatus[429] ?? 0,
        firstWriteAt: writes[0]?.at,
        lastWriteAt: writes.at(-1)?.at,
      };
    },
    async get(pathname) {
      const response = await fetch(`${url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
      return response.json();
    },
    /** CPU time (ms) the emulator process has used so far, where /proc tells (Linux); else undefined. */
    async cpuMs() {
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => undefined);
      if (stat === undefined) return undefined;
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in ticks.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    },
    /** SIGTERM: the emulator flushes its state to the data folder and exits. */
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Copies dist/ to a temporary folder and runs that copy from now on, so a rebuild of the working tree during a
 * long run cannot mix two builds (or remove a chunk a running titan is about to load). `dist` may name another
 * build to compare. Returns the copy's folder.
 */
export async function snapshotBuild(dist = path.join(ROOT, 'dist')) {
  const dir = await tempDir('dist');
  await cp(dist, dir, { recursive: true });
  TITAN = path.join(dir, 'titan.js');
  return dir;
}

let scratch;

/**
 * One folder under the OS temp dir for everything a run creates; `removeScratch` deletes it at the end, even when a
 * suite failed. Emulators still running then are stopped too.
 */
export async function createScratch() {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'titan-bench-'));
  return scratch;
}

export async function removeScratch() {
  for (const child of emulators) child.kill('SIGKILL');
  if (scratch) await rm(scratch, { recursive: true, force: true });
}

/** A fresh temporary folder (in the run's scratch folder once there is one). */
export const tempDir = (prefix) =>
  mkdtemp(path.join(scratch ?? os.tmpdir(), `${scratch ? '' : 'titan-bench-'}${prefix}-`));
