/**
 * State on disk, in two parts:
 * - a change log (`changes.<generation>.log`, one JSON line per changed record), appended synchronously before
 *   any answer goes out, so an acknowledged write survives `kill -9`: the OS keeps what was written. It is
 *   fsynced only on close — an fsync per write would cost more than the whole request;
 * - a JSON snapshot (`state.json`), written atomically (temp file, fsync, rename) and coalesced so a burst of
 *   writes costs a few snapshots. Taking a snapshot starts a new log generation; once the snapshot is on disk the
 *   older logs are removed. On start the snapshot is loaded and the logs it does not include are replayed.
 * Plus one small file per media item.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../core/errors.js';
import { isJsonObject } from '../core/json.js';
import { writeFileAtomic } from '../io/files.js';
import type { Snapshot, StoreChange } from './store.js';

const STATE_FILE = 'state.json';
const LOG_PATTERN = /^changes\.(\d+)\.log$/;
/** How long changes may gather before a snapshot is written. */
const COALESCE_MS = 100;

export interface Persistence {
  /** A record changed: it is logged by the next `commit` (at the latest at the end of this tick). */
  record(change: StoreChange): void;
  /** Appends the changes recorded so far to the log, synchronously: called before an answer is sent. */
  commit(): void;
  /** Writes a snapshot of any pending change now. */
  flush(): Promise<void>;
  /** Flushes, then fsyncs and closes the log. */
  close(): Promise<void>;
  writeMedia(id: string, bytes: Buffer): Promise<void>;
  readMedia(id: string): Promise<Buffer | undefined>;
}

export async function readSnapshot(dataDir: string): Promise<Snapshot | undefined> {
  const file = path.join(dataDir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OperationalError(`Cannot read emulator state ${file}: ${(error as Error).message}`);
  }
  try {
    const snapshot = JSON.parse(text) as Snapshot;
    if (snapshot.version !== 1 || !Array.isArray(snapshot.tasks) || !Array.isArray(snapshot.executions)) {
      throw new Error('unknown format');
    }
    snapshot.media ??= [];
    return snapshot;
  } catch (error) {
    throw new OperationalError(
      `Emulator state ${file} is not readable (${(error as Error).message}).`,
      'Move the file away to start with an empty emulator.',
    );
  }
}

export interface ChangeLog {
  /** The changes of every log from generation `from` on, oldest first. */
  changes: StoreChange[];
  /** The highest generation found on disk (or `from - 1`): the next log starts after it. */
  lastGeneration: number;
}

/** Reads the change logs a snapshot does not include. A torn last line (power loss mid-write) is ignored. */
export async function readChangeLog(dataDir: string, from: number): Promise<ChangeLog> {
  const generations = await logGenerations(dataDir);
  const changes: StoreChange[] = [];
  for (const generation of generations.filter((g) => g >= from)) {
    const file = logPath(dataDir, generation);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const complete = lines.slice(0, -1); // after the last newline: empty, or a line cut short
    complete.forEach((line, index) => {
      const change = parseChange(line);
      if (change === undefined) {
        throw new OperationalError(
          `Emulator change log ${file} is not readable (line ${index + 1}).`,
          'Move the data folder away to start with an empty emulator.',
        );
      }
      changes.push(change);
    });
  }
  return { changes, lastGeneration: Math.max(from - 1, ...generations) };
}

export async function createPersistence(
  dataDir: string,
  options: {
    takeSnapshot: () => Snapshot;
    /** The generation of the first log this run writes (after every one on disk). */
    generation: number;
    /** State was replayed from logs: write a snapshot soon, so the logs do not grow across restarts. */
    dirty: boolean;
    onWrite: () => void;
    onError: (error: Error) => void;
  },
): Promise<Persistence> {
  await mkdir(path.join(dataDir, 'media'), { recursive: true });
  const log = new LogWriter(dataDir, options.generation);
  const pending = new Map<string, StoreChange>();
  let commitQueued = false;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Several changes to one record in one tick are one line: its state at the end of the tick. */
  const commit = (): void => {
    commitQueued = false;
    if (pending.size === 0) return;
    const lines = [...pending.values()].map((change) => `${JSON.stringify(change)}\n`).join('');
    pending.clear();
    log.append(lines);
  };
  const writeNow = async (): Promise<void> => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    commit();
    const generation = log.rotate(); // what changes from here on is not in this snapshot
    const text = JSON.stringify({ ...options.takeSnapshot(), log: generation } satisfies Snapshot);
    try {
      await writeFileAtomic(path.join(dataDir, STATE_FILE), text);
      options.onWrite();
    } catch (error) {
      dirty = true; // retried by the next change or flush; the older logs stay until then
      throw error;
    }
    await removeLogsBefore(dataDir, generation);
  };
  // Snapshots are chained so two never race on the temp file.
  const schedule = (): Promise<void> => (writing = writing.then(writeNow, writeNow));
  const markDirty = (): void => {
    dirty = true;
    timer ??= setTimeout(() => schedule().catch(options.onError), COALESCE_MS);
  };
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    await schedule();
  };
  if (options.dirty) markDirty();

  return {
    record(change) {
      pending.set(changeKey(change), change);
      if (!commitQueued) {
        commitQueued = true;
        queueMicrotask(commit);
      }
      markDirty();
    },
    commit,
    flush,
    async close() {
      await flush();
      commit();
      log.close();
    },
    async writeMedia(id, bytes) {
      await writeFileAtomic(mediaPath(dataDir, id), bytes);
    },
    async readMedia(id) {
      try {
        return await readFile(mediaPath(dataDir, id));
      } catch {
        return undefined;
      }
    },
  };
}

/** The open log file; appends are synchronous so nothing is acknowledged before it is in the OS's hands. */
class LogWriter {
  private fd: number;

  constructor(
    private readonly dataDir: string,
    private generation: number,
  ) {
    this.fd = openSync(logPath(dataDir, generation), 'a');
  }

  append(text: string): void {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at);
  }

  /** Continues in a new file; returns its generation. */
  rotate(): number {
    closeSync(this.fd);
    this.generation += 1;
    this.fd = openSync(logPath(this.dataDir, this.generation), 'a');
    return this.generation;
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function parseChange(line: string): StoreChange | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (!isJsonObject(value)) return undefined;
    const record = value.task ?? value.execution ?? value.media;
    return isJsonObject(record) && typeof record.id === 'string'
      ? (value as unknown as StoreChange)
      : undefined;
  } catch {
    return undefined;
  }
}

const changeKey = (change: StoreChange): string =>
  'task' in change
    ? `task:${change.task.id}`
    : 'execution' in change
      ? `execution:${change.execution.id}`
      : `media:${change.media.id}`;

async function logGenerations(dataDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => LOG_PATTERN.exec(name)?.[1])
    .filter((digits): digits is string => digits !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

async function removeLogsBefore(dataDir: string, generation: number): Promise<void> {
  for (const old of (await logGenerations(dataDir)).filter((g) => g < generation)) {
    await rm(logPath(dataDir, old), { force: true });
  }
}

const logPath = (dataDir: string, generation: number): string =>
  path.join(dataDir, `changes.${generation}.log`);

const mediaPath = (dataDir: string, id: string): string =>
  path.join(dataDir, 'media', id.replace(/[^A-Za-z0-9_-]/g, '_'));
