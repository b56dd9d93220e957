/**
 * A cache of manifest files' check results across runs, in `.titan/cache/checks/` of the workspace: a pull
 * request changes a handful of files, so a plan of 10,000 tasks re-checks only those.
 *
 * An entry is found by a key over everything a file's check depends on: its bytes, where it is and how it is
 * named, titan's build, the limits and the `$ref` boundary. The files its `$ref`s named are fingerprinted in the
 * entry (real path and bytes, or why they could not be read) and compared before the entry is used, so an edited
 * schema is a miss. A file that uses `${env:…}` (or names a schema that does) is never cached: values from the
 * environment never reach the disk, and its check depends on them.
 *
 * An entry is trusted only whole: a SHA-256 of its body heads the file, and anything that does not match (a
 * torn write, a stray file, another build's format) is a miss. Entries are written to a temporary name and
 * renamed, so concurrent runs never see each other's half-written files; the folder is pruned to a bound.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { FileCheck, ManifestText } from '../core/manifest/load.js';
import type { ParseLimits } from '../core/manifest/yaml.js';

export interface CheckCacheOptions {
  /** The cache folder (`<workspace>/.titan/cache/checks`). */
  dir: string;
  /** Identifies titan's build: a different build never reads another's entries. */
  build: string;
  /** The most entries kept (default 4,096). */
  maxEntries?: number;
}

/** What a check's result depends on, besides the file itself. */
export interface CheckContext {
  cwd: string;
  /** The `$ref` boundary's root (the repository or the workspace). */
  boundary: string;
  limits: ParseLimits;
}

export interface CachedCheck {
  check: FileCheck;
  /** The referenced files read, by display name, re-read now (code frames show what was checked). */
  refTexts: [string, string][];
}

export interface CheckCache {
  /** A valid entry for this text, or undefined. */
  get(text: ManifestText): CachedCheck | undefined;
  /** Records a fresh check (ignored for files using `${env:…}`); never throws. */
  put(text: ManifestText, check: FileCheck): void;
  /** Keeps the folder within its bound; never throws. */
  prune(): void;
}

interface Entry {
  format: typeof ENTRY_FORMAT;
  check: FileCheck;
  /** Every file the check's `$ref`s named, as it was then. */
  refs: RefFingerprint[];
  /** Display names of the referenced texts the check read. */
  refDisplays: [absPath: string, display: string][];
}

interface RefFingerprint {
  absPath: string;
  /** Where the path led (through links), or undefined when it could not be resolved. */
  real?: string;
  /** SHA-256 of its bytes, or the reason it could not be read. */
  state: string;
}

const ENTRY_FORMAT = 1;
const DEFAULT_MAX_ENTRIES = 4096;
const ENV_MARK = '${env:';
const ENTRY_SUFFIX = '.check';
/** A hit older than this is touched, so pruning (oldest first) keeps what is in use. */
const TOUCH_AFTER_MS = 60 * 60 * 1000;

export function openCheckCache(options: CheckCacheOptions, context: CheckContext): CheckCache {
  const contextKey = JSON.stringify([options.build, context.cwd, context.boundary, context.limits]);
  const keyOf = (text: ManifestText): string =>
    createHash('sha256')
      .update(contextKey)
      .update('\0')
      .update(text.absPath)
      .update('\0')
      .update(text.display)
      .update('\0')
      .update(text.text)
      .digest('hex');
  const scope: RefScope = { realBoundary: safeRealpath(context.boundary), limits: context.limits };
  const fileOf = (key: string): string => path.join(options.dir, `${key}${ENTRY_SUFFIX}`);

  return {
    get(text) {
      if (text.text.includes(ENV_MARK)) return undefined;
      const file = fileOf(keyOf(text));
      const entry = readEntry(file);
      if (entry === undefined) return undefined;
      const refTexts = currentRefTexts(entry, scope);
      if (refTexts === undefined) return undefined;
      touch(file);
      return { check: entry.check, refTexts };
    },
    put(text, check) {
      if (text.text.includes(ENV_MARK)) return;
      const refs = check.referenced.map((absPath) => fingerprint(absPath, scope));
      if (refs.some((ref) => ref.print.state.startsWith('text-with-env'))) return;
      // Every referenced text is a source of this file's excerpts, whichever file's check read it first.
      const refDisplays = refs
        .filter((ref) => ref.text !== undefined)
        .map((ref): [string, string] => [ref.print.absPath, displayOf(context.cwd, ref.print.absPath)]);
      const entry: Entry = { format: ENTRY_FORMAT, check, refs: refs.map((ref) => ref.print), refDisplays };
      writeEntry(options.dir, fileOf(keyOf(text)), entry);
    },
    prune() {
      pruneFolder(options.dir, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    },
  };
}

/** The referenced texts, when every referenced file is as it was; else undefined (the entry is stale). */
function currentRefTexts(entry: Entry, scope: RefScope): [string, string][] | undefined {
  const texts = new Map<string, string>();
  for (const then of entry.refs) {
    const now = fingerprint(then.absPath, scope);
    if (now.print.state !== then.state || now.print.real !== then.real) return undefined;
    if (now.text !== undefined) texts.set(then.absPath, now.text);
  }
  const refTexts: [string, string][] = [];
  for (const [absPath, display] of entry.refDisplays) {
    const text = texts.get(absPath);
    if (text === undefined) return undefined;
    refTexts.push([display, text]);
  }
  return refTexts;
}

/**
 * A referenced file as it is now. Like the `$ref` reader, it reads only regular files within the size limit and
 * inside the boundary (through links): a file outside is fingerprinted by its real path alone, never read.
 */
function fingerprint(absPath: string, scope: RefScope): { print: RefFingerprint; text?: string } {
  let real: string | undefined;
  try {
    real = realpathSync(absPath);
    const relative = path.relative(scope.realBoundary, real);
    if (relative.startsWith('..') || path.isAbsolute(relative))
      return { print: { absPath, real, state: 'outside' } };
    const info = statSync(real);
    if (!info.isFile()) return { print: { absPath, real, state: 'not-a-file' } };
    if (info.size > scope.limits.maxFileBytes)
      return { print: { absPath, real, state: `too-large:${info.size}` } };
    const bytes = readFileSync(real);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const text = decodeUtf8(bytes);
    if (text === undefined) return { print: { absPath, real, state: `not-utf8:${digest}` } };
    const state = text.includes(ENV_MARK) ? `text-with-env:${digest}` : digest;
    return { print: { absPath, real, state }, text };
  } catch (error) {
    const print: RefFingerprint = { absPath, state: `error:${(error as NodeJS.ErrnoException).code ?? '?'}` };
    if (real !== undefined) print.real = real;
    return { print };
  }
}

interface RefScope {
  realBoundary: string;
  limits: ParseLimits;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function readEntry(file: string): Entry | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < DIGEST_BYTES) return undefined;
  const body = bytes.subarray(DIGEST_BYTES);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(bytes.subarray(0, DIGEST_BYTES))) return undefined;
  try {
    const entry = deserialize(body) as Entry;
    return entry.format === ENTRY_FORMAT ? entry : undefined;
  } catch {
    return undefined;
  }
}

const DIGEST_BYTES = 32;

function writeEntry(dir: string, file: string, entry: Entry): void {
  const body = serialize(entry);
  const digest = createHash('sha256').update(body).digest();
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(temporary, Buffer.concat([digest, body]), { mode: 0o600 });
    renameSync(temporary, file);
  } catch {
    // The cache only saves time: a full disk or a read-only checkout costs the next run its speed, nothing else.
    try {
      unlinkSync(temporary);
    } catch {
      /* never written */
    }
  }
}

function touch(file: string): void {
  try {
    const info = statSync(file);
    if (Date.now() - info.mtimeMs < TOUCH_AFTER_MS) return;
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    /* pruned meanwhile by another run: still valid in memory */
  }
}

/** Removes the oldest entries beyond `max`, and temporary files a killed run left (older than a minute). */
function pruneFolder(dir: string, max: number): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  const entries: { file: string; mtime: number }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const { mtimeMs } = statSync(file);
      if (name.endsWith('.tmp')) {
        if (now - mtimeMs > 60_000) unlinkSync(file);
      } else if (name.endsWith(ENTRY_SUFFIX)) entries.push({ file, mtime: mtimeMs });
    } catch {
      /* removed by another run */
    }
  }
  if (entries.length <= max) return;
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const { file } of entries.slice(0, entries.length - max)) {
    try {
      unlinkSync(file);
    } catch {
      /* removed by another run */
    }
  }
}

function displayOf(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
