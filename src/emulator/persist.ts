/**
 * State on disk: one JSON snapshot (`state.json`) written atomically (temp file, fsync, rename) and coalesced so a
 * burst of writes costs a few snapshots, plus one small file per media item. Flushed on close.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../core/errors.js';
import type { Snapshot } from './store.js';

const STATE_FILE = 'state.json';
/** How long changes may gather before a snapshot is written. */
const COALESCE_MS = 100;

export interface Persistence {
  /** Something changed: a snapshot will be written soon. */
  markDirty(): void;
  /** Writes any pending change now. */
  flush(): Promise<void>;
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

export async function createPersistence(
  dataDir: string,
  takeSnapshot: () => Snapshot,
  onWrite: () => void,
  onError: (error: Error) => void,
): Promise<Persistence> {
  await mkdir(path.join(dataDir, 'media'), { recursive: true });
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const writeNow = async (): Promise<void> => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    try {
      await writeFileAtomic(path.join(dataDir, STATE_FILE), JSON.stringify(takeSnapshot()));
      onWrite();
    } catch (error) {
      dirty = true; // retried by the next change or flush
      throw error;
    }
  };
  // Snapshots are chained so two never race on the temp file.
  const schedule = (): Promise<void> => (writing = writing.then(writeNow, writeNow));

  return {
    markDirty() {
      dirty = true;
      timer ??= setTimeout(() => schedule().catch(onError), COALESCE_MS);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      await schedule();
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

const mediaPath = (dataDir: string, id: string): string =>
  path.join(dataDir, 'media', id.replace(/[^A-Za-z0-9_-]/g, '_'));

async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
