/**
 * `.titan/journal.ndjson`: one JSON record per line, each durable (fsync) before `append` resolves. Records
 * appended while a flush is running are written together in the next one (group commit), so many concurrent
 * writes cost one fsync per batch, not one each; the fsync runs on the thread pool, so the event loop goes on
 * sending requests and taking answers meanwhile.
 */
import { fdatasync, writeSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../core/errors.js';
import {
  parseJournal,
  summarizePending,
  type CorruptLine,
  type JournalRecord,
  type ParsedJournal,
} from '../core/lock/journal.js';
import { writeFileAtomic } from './files.js';

export const JOURNAL_FILE = 'journal.ndjson';

export const journalPath = (stateDir: string): string => path.join(stateDir, JOURNAL_FILE);

export interface JournalOptions {
  /** Called after each record is durable, with the record (test hooks). */
  onDurable?: (record: JournalRecord) => void;
  /** Most records per fsync (default unbounded; 1 makes every record its own boundary). */
  maxBatch?: number;
}

export interface JournalWriter {
  /** Resolves once the record is on disk. */
  append(record: JournalRecord): Promise<void>;
  /**
   * Compaction: once every earlier append is durable, runs `produce` with no append in between and atomically
   * replaces the journal with the records it returns. Appends made meanwhile are written after them.
   */
  compact(produce: () => Promise<readonly JournalRecord[]>): Promise<void>;
  /** Waits for pending appends, then closes the file. */
  close(): Promise<void>;
}

/** What plan and drift warn about: a journal an interrupted apply left, with writes titan.lock does not show. */
export interface PendingJournal {
  file: string;
  unsettled: number;
  unrecorded: number;
  /** Records that are not valid: the next apply moves the journal aside instead of using it. */
  corrupt: boolean;
  /** One sentence for the user. */
  warning: string;
}

/**
 * Read-only look at the journal in `stateDir` (plan and drift cannot settle it: that needs the workspace lock).
 * Null when there is none or it changes nothing.
 */
export async function readPendingJournal(stateDir: string): Promise<PendingJournal | null> {
  const file = journalPath(stateDir);
  const journal = await readJournal(file);
  if (journal === null) return null;
  const shown = path.join(path.basename(stateDir), JOURNAL_FILE);
  if (journal.corrupt.length > 0) {
    return {
      file,
      unsettled: 0,
      unrecorded: 0,
      corrupt: true,
      warning:
        `the apply journal ${shown} is damaged (${describeCorruption(journal.corrupt)}); the next titan apply ` +
        'moves it aside without using it. Until then this output may show its writes as changes still to make.',
    };
  }
  const { unsettled, unrecorded } = summarizePending(journal.records);
  if (unsettled + unrecorded === 0) return null;
  const parts = [
    ...(unsettled > 0 ? [`${unsettled} unsettled write(s)`] : []),
    ...(unrecorded > 0 ? [`${unrecorded} change(s) not yet in titan.lock`] : []),
  ];
  return {
    file,
    unsettled,
    unrecorded,
    corrupt: false,
    warning:
      `an interrupted apply left ${parts.join(' and ')} in ${shown}; ` +
      'run titan apply to settle them. Until then this output may show them as changes still to make.',
  };
}

/** "line 3: begin record: origin is not a string", and how many more. */
export function describeCorruption(corrupt: readonly CorruptLine[]): string {
  const shown = corrupt.slice(0, 3).map((c) => `line ${c.line}: ${c.problem}`);
  return `${shown.join('; ')}${corrupt.length > 3 ? `; and ${corrupt.length - 3} more line(s)` : ''}`;
}

/**
 * Moves a damaged journal aside (`journal.ndjson.corrupt-<time>` beside it), so that no run uses it and nothing of
 * it is lost. Returns the new path.
 */
export async function quarantineJournal(file: string, now: Date): Promise<string> {
  const aside = `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    await rename(file, aside);
  } catch (error) {
    throw new OperationalError(`Cannot move the damaged journal ${file} aside: ${(error as Error).message}`);
  }
  return aside;
}

/** The journal's records, or null when there is none. */
export async function readJournal(file: string): Promise<ParsedJournal | null> {
  try {
    return parseJournal(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OperationalError(`Cannot read the apply journal ${file}: ${(error as Error).message}`);
  }
}

export async function removeJournal(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw new OperationalError(`Cannot remove ${file}: ${error.message}`);
  });
}

/** Starts a journal at `file` holding `initial` (replacing any previous one). */
export async function createJournal(
  file: string,
  initial: readonly JournalRecord[],
  options: JournalOptions = {},
): Promise<JournalWriter> {
  let handle: FileHandle = await replaceFile(file, initial);
  let tail: Promise<void> = Promise.resolve();
  let batch: {
    record: JournalRecord;
    line: string;
    done: () => void;
    fail: (error: unknown) => void;
  }[] = [];
  let flushing = false;
  const maxBatch = options.maxBatch ?? Number.POSITIVE_INFINITY;

  // Runs until the batch is empty: what is appended while a batch's fsync is in flight forms the next batch.
  const flush = async (): Promise<void> => {
    while (batch.length > 0) {
      const taken = batch.splice(0, maxBatch);
      try {
        await appendDurably(handle, taken.map((item) => item.line).join(''));
      } catch (error) {
        const failure = new OperationalError(
          `Cannot write the apply journal ${file}: ${(error as Error).message}`,
        );
        for (const item of taken) item.fail(failure);
        continue;
      }
      for (const item of taken) {
        options.onDurable?.(item.record);
        item.done();
      }
    }
    flushing = false;
  };

  // From inside the queue: a flush already queued will find the batch empty.
  const drain = async (): Promise<void> => {
    flushing = true;
    await flush();
  };

  const enqueue = (op: () => Promise<void>): Promise<void> => {
    const run = tail.then(op);
    tail = run.catch(() => undefined);
    return run;
  };

  return {
    append(record) {
      return new Promise<void>((done, fail) => {
        batch.push({ record, line: `${JSON.stringify(record)}\n`, done, fail });
        if (!flushing) {
          flushing = true;
          void enqueue(flush);
        }
      });
    },
    compact(produce) {
      return enqueue(async () => {
        await drain();
        const records = await produce();
        await handle.close();
        handle = await replaceFile(file, records);
      });
    },
    close() {
      return enqueue(async () => {
        await drain();
        await handle.close();
      });
    },
  };
}

/**
 * One write, then one fdatasync on the thread pool. The write only copies into the page cache (microseconds) and
 * keeps records in order; the fsync is what takes time, and waiting for it off the event loop lets the appends
 * of other writes gather into the next batch.
 */
async function appendDurably(handle: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let written = 0; written < bytes.length;)
    written += writeSync(handle.fd, bytes, written, bytes.length - written);
  await new Promise<void>((done, fail) => fdatasync(handle.fd, (error) => (error ? fail(error) : done())));
}

/** Replaces `file` with `records`, durably (see `writeFileAtomic`); returns an append handle on the new file. */
async function replaceFile(file: string, records: readonly JournalRecord[]): Promise<FileHandle> {
  const what = `the apply journal ${file}`;
  await writeFileAtomic(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600, what });
  try {
    return await open(file, 'a');
  } catch (error) {
    throw new OperationalError(`Cannot write ${what}: ${(error as Error).message}`);
  }
}

/**
 * Appends `records` durably to the journal in `stateDir` (created when absent), after a line break if a crash left
 * the last line cut short. For `titan test`'s records: an apply's records in the same file are kept as they are.
 */
export async function appendJournalRecords(
  stateDir: string,
  records: readonly JournalRecord[],
): Promise<void> {
  const file = journalPath(stateDir);
  let handle: FileHandle | undefined;
  try {
    await mkdir(stateDir, { recursive: true });
    handle = await open(file, 'a+', 0o600);
    const { size } = await handle.stat();
    let lead = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n';
    }
    await appendDurably(handle, lead + records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } catch (error) {
    throw new OperationalError(`Cannot write the journal ${file}: ${(error as Error).message}`);
  } finally {
    await handle?.close();
  }
}

/** Rewrites the journal without the records `drop` matches (removing it when nothing is left). */
export async function dropJournalRecords(
  stateDir: string,
  drop: (record: JournalRecord) => boolean,
): Promise<void> {
  const file = journalPath(stateDir);
  const journal = await readJournal(file);
  if (journal === null) return;
  const kept = journal.records.filter((record) => !drop(record));
  if (kept.length === journal.records.length) return;
  if (kept.length === 0) await removeJournal(file);
  else
    await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''), {
      mode: 0o600,
      what: `the journal ${file}`,
    });
}
