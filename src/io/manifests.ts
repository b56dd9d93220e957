/**
 * The manifest loader used by validate, plan and apply: finds `*.yaml`/`*.yml` files under the given paths
 * (recursively, skipping dot-folders, dot-files and `node_modules`), reads them and the files their `$ref`s point
 * at (never more than the size limit, and only regular files), and hands the texts to the pure core
 * (`src/core/manifest`). Never throws for bad input: every problem is a diagnostic.
 */
import { existsSync, type Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Diagnostic } from '../core/diagnostics.js';
import { sortDiagnostics } from '../core/diagnostics.js';
import { compareStrings } from '../core/json.js';
import { Code } from '../core/manifest/codes.js';
import type { CronProblem } from '../core/manifest/cron.js';
import {
  checkManifestFile,
  combineFileChecks,
  type FileCheck,
  type ManifestText,
} from '../core/manifest/load.js';
import type { RefBoundary, RefContext, RefFile } from '../core/manifest/refs.js';
import type { ManifestSchemas } from '../core/manifest/schema-port.js';
import { DEFAULT_LIMITS, tooLargeFile, type ParseLimits } from '../core/manifest/yaml.js';
import type { DesiredTask } from '../core/model.js';
import { createRefReader, decodeUtf8, displayPath, readBounded } from './bounded-read.js';
import { openCheckCache, type CheckCacheOptions } from './check-cache.js';
import { createManifestSchemas } from './schemas.js';

export interface LoadManifestsOptions {
  /** Paths in diagnostics and `source.file` are relative to it when inside it. */
  cwd: string;
  /** For `${env:…}` interpolation. */
  env: NodeJS.ProcessEnv;
  /**
   * The workspace folder. `$ref`s may point at files inside the git repository holding it (the nearest folder
   * with `.git`), or inside it when no repository does.
   */
  workspaceRoot: string;
  /** The schema engine; created when absent (it costs a few tens of milliseconds: create it once per process). */
  schemas?: ManifestSchemas;
  limits?: ParseLimits;
  /**
   * The manifest worker script (`dist/manifest-worker.js` of the bundle): large workspaces are then checked on
   * several threads. Without it every file is checked on this thread.
   */
  worker?: URL;
  /** The most threads to check files on, this one included (default: one per core, at most 4). */
  maxThreads?: number;
  /** Reuse the checks of unchanged files from earlier runs (`src/io/check-cache.ts`); without it, check all. */
  cache?: CheckCacheOptions;
}

export interface LoadedManifests {
  /** Every document without errors of its own, sorted by key. Use them only when `diagnostics` has no error. */
  tasks: DesiredTask[];
  /** Every problem found, sorted by file, line and column. */
  diagnostics: Diagnostic[];
  /** The manifest files read, relative to `cwd` when inside it, sorted. */
  files: string[];
  /**
   * The text of every file read (manifests and referenced schemas), by the name diagnostics use: source
   * excerpts show exactly what was checked.
   */
  sources: ReadonlyMap<string, string>;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);
const READ_CONCURRENCY = 16;

export async function loadManifests(
  paths: string[],
  options: LoadManifestsOptions,
): Promise<LoadedManifests> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const display = (absolute: string): string => displayPath(options.cwd, absolute);
  const found = await findManifestFiles(paths.length > 0 ? paths : ['.'], options.cwd);
  const read = await readManifestFiles(found.files, limits, display);
  const setup: CheckSetup = {
    cwd: options.cwd,
    env: { ...options.env }, // a plain copy: it crosses to workers
    workspaceRoot: path.resolve(options.cwd, options.workspaceRoot),
    limits,
  };
  const result = await checkWithCache(read.texts, setup, options);
  const sources = new Map(read.texts.map((t) => [t.display, t.text]));
  for (const [file, text] of result.refTexts) sources.set(file, text);
  const checked = combineFileChecks(result.checks);
  const own = [...found.diagnostics, ...read.diagnostics];
  if (found.files.length === 0 && found.diagnostics.length === 0) {
    own.push({
      code: Code.noManifests,
      severity: 'warning',
      message: `no manifests (*.yaml or *.yml files) under ${paths.length > 0 ? paths.join(', ') : '.'}`,
      hint: 'titan skips dot-folders and node_modules; name the folder holding your manifests',
    });
  }
  const unreadable = new Set(read.diagnostics.map((d) => d.file));
  const files = [
    ...new Set([...checked.files, ...found.files.map(display).filter((f) => unreadable.has(f))]),
  ].sort();
  // The core's list is sorted and capped per file; these are about other files (or none).
  const diagnostics = sortDiagnostics(own).concat(checked.diagnostics);
  return { tasks: checked.tasks, diagnostics, files, sources };
}

/** What a thread needs to check manifest texts: plain data, so it can be sent to a worker. */
export interface CheckSetup {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Absolute. */
  workspaceRoot: string;
  limits: ParseLimits;
}

export interface CheckedTexts {
  /** One per text, in the same order. */
  checks: FileCheck[];
  /** The referenced files read while checking, by display name. */
  refTexts: [string, string][];
}

/** Checks files one at a time on the calling thread, remembering what files share (schemas, cron verdicts). */
export interface FileChecker {
  check(text: ManifestText): FileCheck;
  /** The referenced files read since the last call, by display name. */
  takeRefTexts(): [string, string][];
}

export function createFileChecker(
  setup: CheckSetup,
  schemas: ManifestSchemas = createManifestSchemas(),
): FileChecker {
  const display = (absolute: string): string => displayPath(setup.cwd, absolute);
  const boundary = refBoundaryOf(setup.workspaceRoot);
  let refTexts: [string, string][] = [];
  const refs: RefContext = {
    boundary,
    read: createRefReader(boundary, setup.limits, (absolute, text) =>
      refTexts.push([display(absolute), text]),
    ),
    displayFile: display,
    limits: setup.limits,
    cache: new Map<string, RefFile>(),
  };
  const cronVerdicts = new Map<string, CronProblem | undefined>();
  return {
    check: (text) => checkManifestFile(text, { env: setup.env, schemas, refs }, cronVerdicts),
    takeRefTexts: () => refTexts.splice(0),
  };
}

/** Checks the files no earlier run checked as they are now; the others' results come from the cache. */
async function checkWithCache(
  texts: readonly ManifestText[],
  setup: CheckSetup,
  options: LoadManifestsOptions,
): Promise<CheckedTexts> {
  if (options.cache === undefined) return checkOnThreads(texts, setup, options);
  const cache = openCheckCache(options.cache, {
    cwd: setup.cwd,
    boundary: refBoundaryOf(setup.workspaceRoot),
    limits: setup.limits,
  });
  const checks: (FileCheck | undefined)[] = new Array(texts.length);
  const refTexts: [string, string][] = [];
  const missed: number[] = [];
  texts.forEach((text, index) => {
    const hit = cache.get(text);
    if (hit === undefined) missed.push(index);
    else {
      checks[index] = hit.check;
      refTexts.push(...hit.refTexts);
    }
  });
  if (missed.length > 0) {
    const fresh = await checkOnThreads(
      missed.map((index) => texts[index] as ManifestText),
      setup,
      options,
    );
    missed.forEach((index, n) => {
      const check = fresh.checks[n] as FileCheck;
      checks[index] = check;
      cache.put(texts[index] as ManifestText, check);
    });
    refTexts.push(...fresh.refTexts);
    cache.prune();
  }
  return { checks: checks as FileCheck[], refTexts };
}

/**
 * Parsing YAML dominates the time of a large workspace, and files are checked independently: with a worker script
 * and more than one core, workers take files from the same queue as this thread, one at a time, so the work stays
 * balanced whatever the files' sizes; this thread yields between files to hand them out. A file whose worker
 * failed is checked here; the result is the same either way.
 */
async function checkOnThreads(
  texts: readonly ManifestText[],
  setup: CheckSetup,
  options: LoadManifestsOptions,
): Promise<CheckedTexts> {
  const here = createFileChecker(setup, options.schemas);
  const bytes = texts.reduce((sum, t) => sum + t.text.length, 0);
  const script = options.worker;
  const workers = script
    ? Math.min(
        options.maxThreads ?? Math.min(availableParallelism(), MAX_THREADS),
        Math.floor(bytes / MIN_BYTES_PER_THREAD),
      ) - 1
    : 0;
  if (script === undefined || workers < 1) {
    return { checks: texts.map((text) => here.check(text)), refTexts: here.takeRefTexts() };
  }
  const checks: FileCheck[] = new Array(texts.length);
  const refTexts: [string, string][] = [];
  const queue: FileQueue = { texts, next: 0 };
  const helping = Array.from({ length: workers }, () =>
    feedWorker(script, setup, queue, (index, result) => {
      checks[index] = result.check;
      refTexts.push(...result.refTexts);
    }),
  );
  for (let index = take(queue); index !== undefined; index = take(queue)) {
    checks[index] = here.check(texts[index] as ManifestText);
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (const index of (await Promise.all(helping)).flat())
    checks[index] = here.check(texts[index] as ManifestText);
  return { checks, refTexts: [...here.takeRefTexts(), ...refTexts] };
}

/** Below this many bytes per thread, starting a worker (~0.1 s of module loading) does not pay. */
const MIN_BYTES_PER_THREAD = 512 * 1024;
const MAX_THREADS = 4;

interface FileQueue {
  texts: readonly ManifestText[];
  next: number;
}

const take = (queue: FileQueue): number | undefined =>
  queue.next < queue.texts.length ? queue.next++ : undefined;

/** What the worker script answers for one file. */
export interface WorkerAnswer {
  index: number;
  check: FileCheck;
  refTexts: [string, string][];
}

/**
 * Starts a worker and hands it files from `queue` until none are left, two at a time so that it never waits for
 * this thread (busy with a file of its own) to hand out the next. Resolves with the indexes of the files it took
 * but did not check (it failed), for this thread to check.
 */
function feedWorker(
  script: URL,
  setup: CheckSetup,
  queue: FileQueue,
  onChecked: (index: number, answer: WorkerAnswer) => void,
): Promise<number[]> {
  return new Promise((resolve) => {
    const holding = new Set<number>();
    let finished = false;
    const finish = (unchecked: number[]): void => {
      if (finished) return;
      finished = true;
      resolve(unchecked);
      void worker.terminate();
    };
    const feed = (): void => {
      const index = take(queue);
      if (index === undefined) return;
      holding.add(index);
      worker.postMessage({ index, text: queue.texts[index] });
    };
    // A worker's garbage is short-lived (one file's YAML at a time): a small young generation keeps its memory low.
    const worker = new Worker(script, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    worker.on('message', (message: WorkerAnswer | 'ready') => {
      if (message === 'ready') feed();
      else {
        holding.delete(message.index);
        onChecked(message.index, message);
      }
      feed();
      if (holding.size === 0) finish([]);
    });
    const failed = (): void => finish([...holding]);
    worker.once('error', failed);
    worker.once('exit', failed);
  });
}

/** The nearest folder at or above the workspace holding `.git` (a folder, or a file in a worktree), else the workspace. */
function refBoundaryOf(workspaceRoot: string): RefBoundary {
  for (let dir = workspaceRoot; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return { root: dir, kind: 'repository' };
    if (path.dirname(dir) === dir) return { root: workspaceRoot, kind: 'workspace' };
  }
}

interface Found {
  /** Absolute paths, unique, in a stable order. */
  files: string[];
  diagnostics: Diagnostic[];
}

async function findManifestFiles(paths: readonly string[], cwd: string): Promise<Found> {
  const files = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const visited = new Set<string>();
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      diagnostics.push({
        code: info.code === 'ENOENT' || info.code === 'ENOTDIR' ? Code.pathNotFound : Code.fileUnreadable,
        severity: 'error',
        message:
          info.code === 'ENOENT' || info.code === 'ENOTDIR'
            ? `no such file or folder: ${given}`
            : `cannot read ${given} (${info.code ?? info.message})`,
        file: given,
      });
    } else if (info.isDirectory()) {
      await walk(absolute, files, visited, diagnostics, cwd);
    } else if (info.isFile()) {
      files.add(absolute);
    } else {
      diagnostics.push({
        code: Code.fileUnreadable,
        severity: 'error',
        message: `${given} is not a regular file or a folder; titan reads manifests from files`,
        file: given,
      });
    }
  }
  return { files: [...files], diagnostics };
}

async function walk(
  dir: string,
  files: Set<string>,
  visited: Set<string>,
  diagnostics: Diagnostic[],
  cwd: string,
): Promise<void> {
  const real = await realpath(dir).catch(() => dir);
  if (visited.has(real)) return; // a symbolic link loop, or a folder reached twice
  visited.add(real);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    diagnostics.push({
      code: Code.fileUnreadable,
      severity: 'error',
      message: `cannot list folder ${displayPath(cwd, dir)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      file: displayPath(cwd, dir),
    });
    return;
  }
  entries.sort((a, b) => compareStrings(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined);
      isDirectory = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDirectory) await walk(full, files, visited, diagnostics, cwd);
    else if (isFile && MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.add(full);
  }
}

interface ReadFiles {
  texts: ManifestText[];
  diagnostics: Diagnostic[];
}

async function readManifestFiles(
  files: readonly string[],
  limits: ParseLimits,
  display: (absolute: string) => string,
): Promise<ReadFiles> {
  const results: (ManifestText | Diagnostic)[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const file = files[index] as string;
      results[index] = await readManifestFile(file, display(file), limits);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  const texts: ManifestText[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const result of results) {
    if ('text' in result) texts.push(result);
    else diagnostics.push(result);
  }
  return { texts, diagnostics };
}

async function readManifestFile(
  absPath: string,
  shown: string,
  limits: ParseLimits,
): Promise<ManifestText | Diagnostic> {
  try {
    // stat before open: opening a FIFO would wait for a writer.
    const info = await stat(absPath);
    if (!info.isFile()) return notAFile(shown);
    if (info.size > limits.maxFileBytes) return tooLargeFile(shown, info.size, limits.maxFileBytes);
    const bytes = readBounded(absPath, info.size, limits.maxFileBytes);
    if (bytes === undefined) return tooLargeFile(shown, limits.maxFileBytes + 1, limits.maxFileBytes);
    const decoded = decodeUtf8(bytes);
    if (decoded === undefined) {
      return {
        code: Code.fileEncoding,
        severity: 'error',
        message: 'the file is not valid UTF-8 text',
        file: shown,
        line: 1,
        column: 1,
      };
    }
    return { absPath, display: shown, text: decoded };
  } catch (error) {
    return {
      code: Code.fileUnreadable,
      severity: 'error',
      message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      file: shown,
    };
  }
}

const notAFile = (shown: string): Diagnostic => ({
  code: Code.fileUnreadable,
  severity: 'error',
  message: 'not a regular file; titan reads manifests from files',
  file: shown,
});
