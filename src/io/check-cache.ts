/**
 * A cache of manifest files' check results across runs, in `.titan/cache/checks/` of the workspace: a pull
 * request changes a handful of files, so a plan of 10,000 tasks re-checks only those.
 *
 * An entry is found by a key over everything a file's check depends on: its bytes, where it is and how it is
 * named, titan's build, the limits and the `$ref` boundary. The files its `$ref`s named are fingerprinted in the
 * entry (a digest of their text, or why the loader's reader refused them) and compared before the entry is used,
 * so an edited, moved or re-linked schema is a miss. A file that uses `${env:…}` (or names a schema that does) is never cached: values from the
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
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { FileCheck, ManifestText } from '../core/manifest/load.js';
import type { RefBoundary, RefRead } from '../core/manifest/refs.js';
import type { ParseLimits } from '../core/manifest/yaml.js';
import { createRefReader, displayPath } from './bounded-read.js';

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
  /** Where referenced files may be (the repository or the workspace). */
  boundary: RefBoundary;
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
  /** Every file the check's `$ref`s named, as it was then: absolute path, then its state (see `fingerprint`). */
  refs: [absPath: string, state: string][];
  /** Display names of the referenced texts the check read. */
  refDisplays: [absPath: string, display: string][];
}

const ENTRY_FORMAT = 2;
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
  const fileOf = (key: string): string => path.join(options.dir, `${key}${ENTRY_SUFFIX}`);
  // Read as the loader reads `$ref` targets, and once per run: many manifests name the same schema files.
  const read = createRefReader(context.boundary, context.limits, () => {});
  const fingerprints = new Map<string, Fingerprint>();
  const fingerprintOf = (absPath: string): Fingerprint => {
    let known = fingerprints.get(absPath);
    if (known === undefined) fingerprints.set(absPath, (known = fingerprint(read(absPath))));
    return known;
  };

  return {
    get(text) {
      if (text.text.includes(ENV_MARK)) return undefined;
      const file = fileOf(keyOf(text));
      const entry = readEntry(file);
      if (entry === undefined) return undefined;
      const refTexts = currentRefTexts(entry, fingerprintOf);
      if (refTexts === undefined) return undefined;
      touch(file);
      return { check: entry.check, refTexts };
    },
    put(text, check) {
      if (text.text.includes(ENV_MARK)) return;
      const refs = check.referenced.map((absPath) => ({ absPath, ...fingerprintOf(absPath) }));
      if (refs.some((ref) => ref.text?.includes(ENV_MARK))) return;
      // Every referenced text is a source of this file's excerpts, whichever file's check read it first.
      const refDisplays = refs
        .filter((ref) => ref.text !== undefined)
        .map((ref): [string, string] => [ref.absPath, displayPath(context.cwd, ref.absPath)]);
      const entry: Entry = {
        format: ENTRY_FORMAT,
        check,
        refs: refs.map((ref) => [ref.absPath, ref.state]),
        refDisplays,
      };
      writeEntry(options.dir, fileOf(keyOf(text)), entry);
    },
    prune() {
      pruneFolder(options.dir, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    },
  };
}

/** The referenced texts, when every referenced file is as it was; else undefined (the entry is stale). */
function currentRefTexts(
  entry: Entry,
  fingerprintOf: (absPath: string) => Fingerprint,
): [string, string][] | undefined {
  const texts = new Map<string, string>();
  for (const [absPath, state] of entry.refs) {
    const now = fingerprintOf(absPath);
    if (now.state !== state) return undefined;
    if (now.text !== undefined) texts.set(absPath, now.text);
  }
  const refTexts: [string, string][] = [];
  for (const [absPath, display] of entry.refDisplays) {
    const text = texts.get(absPath);
    if (text === undefined) return undefined;
    refTexts.push([display, text]);
  }
  return refTexts;
}

/** What the loader's reader made of a referenced file: a digest of its text, or why it could not be read. */
interface Fingerprint {
  state: string;
  text?: string;
}

function fingerprint(result: RefRead): Fingerprint {
  if (!result.ok) return { state: `${result.reason}:${result.detail ?? ''}` };
  return { state: createHash('sha256').update(result.text).digest('hex'), text: result.text };
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
