/**
 * Streaming downloads (results exports, CSV, media) to a file or stdout. Bytes flow from the HTTP body to the
 * destination with backpressure and are never gathered in memory. A file is written beside its final name and
 * renamed into place when complete, so FILE is either absent/old or whole — never half an export.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { OperationalError, TitanError } from '../../core/errors.js';
import type { ExportFormat } from '../../io/api/types.js';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'ndjson', 'csv'];

/** The format a file name asks for: `.csv` → csv, `.ndjson`/`.jsonl` → ndjson, anything else → json. */
export function formatForFile(file: string): ExportFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return 'json';
}

/** Streams whatever `produce` writes into `file` (resolved against `cwd`), atomically. */
export async function streamToFile<T>(
  file: string,
  cwd: string,
  produce: (sink: Writable) => Promise<T>,
): Promise<T> {
  const target = path.resolve(cwd, file);
  const temp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.part`,
  );
  const sink = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
  try {
    await once(sink, 'open'); // fail on an unwritable folder before asking the service for anything
    const result = await produce(sink);
    await settle(sink); // closed: every byte handed to the OS
    await syncFile(temp);
    await rename(temp, target);
    return result;
  } catch (error) {
    sink.destroy();
    await unlink(temp).catch(() => undefined);
    if (error instanceof TitanError) throw error;
    throw new OperationalError(`Cannot write ${file}: ${(error as Error).message}`);
  }
}

/** fsync, so the rename never exposes a file whose bytes are still only in the page cache. */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Streams whatever `produce` writes to `out` (stdout) without ever ending `out`: a producer may end its sink,
 * and stdout must stay usable for the rest of the process.
 */
export async function streamToOutput<T>(out: Writable, produce: (sink: Writable) => Promise<T>): Promise<T> {
  const sink = new PassThrough();
  const onOutputError = (error: Error): void => {
    sink.destroy(error);
  };
  out.on('error', onOutputError);
  sink.pipe(out, { end: false });
  try {
    const result = await produce(sink);
    await settle(sink);
    return result;
  } finally {
    sink.unpipe(out);
    out.off('error', onOutputError);
  }
}

/** Ends `sink` if the producer did not, and waits until everything written has been flushed. */
async function settle(sink: Writable): Promise<void> {
  if (!sink.writableEnded) sink.end();
  await finished(sink);
}
