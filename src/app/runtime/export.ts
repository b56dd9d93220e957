/**
 * Streaming downloads (results exports, CSV, media) to a file or stdout. Bytes flow from the HTTP body to the
 * destination with backpressure and are never gathered in memory. A file is written beside its final name and
 * renamed into place when complete, so FILE is either absent/old or whole — never half an export.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, constants, open, rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { PassThrough, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { InvalidInputError, OperationalError, TitanError } from '../../core/errors.js';
import type { ExportFormat } from '../../core/service/types.js';

/** The format a file name asks for: `.csv` → csv, `.ndjson`/`.jsonl` → ndjson, anything else → json. */
export function formatForFile(file: string): ExportFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return 'json';
}

/** Writing an output file failed; `reason` says why in words, naming no temporary file. */
export class FileWriteError extends OperationalError {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`Cannot write ${file}: ${reason}.`);
  }
}

/**
 * Fails (exit 3) when `file` (resolved against `cwd`) clearly cannot be written — its folder is missing or not
 * writable, or it is a folder — so a long run is not started only to fail at the end.
 */
export async function checkWritableFile(file: string, cwd: string, flag: string): Promise<void> {
  const target = path.resolve(cwd, file);
  const problem =
    (await folderProblem(path.dirname(target), path.dirname(file))) ??
    ((await isFolder(target)) ? 'it is a folder' : undefined);
  if (problem === undefined) return;
  throw new InvalidInputError(
    `Cannot write the export to ${file}: ${problem}.`,
    `Nothing was started. Give ${flag} a file in an existing folder you can write to.`,
  );
}

/** What is wrong with the folder `folder` (shown as `shown`), if anything. */
async function folderProblem(folder: string, shown: string): Promise<string | undefined> {
  try {
    if (!(await stat(folder)).isDirectory()) return `${shown} is not a folder`;
    await access(folder, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? `the folder ${shown} does not exist`
      : `the folder ${shown} is not writable`;
  }
}

const isFolder = (file: string): Promise<boolean> =>
  stat(file).then(
    (stats) => stats.isDirectory(),
    () => false,
  );

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
    throw new FileWriteError(file, writeFailureReason(error));
  }
}

/** Why a write failed, in words: the raw message would name the hidden temporary file. */
function writeFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'its folder does not exist';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left on the device';
    default:
      return code ?? (error as Error).message;
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
