/** Durable file writes: what survives a crash (or a power loss) at any instant is a whole old or new version. */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { OperationalError } from '../core/errors.js';

/** Writes `content` to a new file and fsyncs it: the bytes are durable before the file is renamed or linked. */
export async function writeSyncedFile(
  file: string,
  content: string | Uint8Array,
  mode = 0o644,
): Promise<void> {
  const handle = await open(file, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` with `content` so that a crash at any instant leaves either the old or the new bytes: write a
 * temp file beside it, fsync it, rename over the target, fsync the folder (so the rename itself is durable).
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: { mode?: number; what?: string } = {},
): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeSyncedFile(temp, content, options.mode);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new OperationalError(`Cannot write ${options.what ?? file}: ${(error as Error).message}`);
  }
  await syncFolder(path.dirname(file));
}

/** Makes a rename in `folder` durable. */
export async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic there.
  }
}
