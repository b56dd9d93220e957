/**
 * Reading the files titan checks: never more than the size limit, only regular files, and for `$ref` targets only
 * inside the boundary (through links). Shared by the manifest loader and the check cache, which must judge a
 * referenced file exactly as the loader would.
 */
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RefBoundary, RefRead } from '../core/manifest/refs.js';
import type { ParseLimits } from '../core/manifest/yaml.js';

/** `cwd`-relative when inside it, else absolute. */
export function displayPath(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}

/**
 * A file's bytes, or undefined when it holds more than `max` (it may have grown since `stat` said `size`):
 * titan never reads more than the limit, whatever the file does. Synchronous, because `$ref` bundling in the
 * pure core asks for files synchronously; manifests use the same reader.
 */
export function readBounded(file: string, size: number, max: number): Uint8Array | undefined {
  const fd = openSync(file, 'r');
  try {
    let buffer: Buffer = Buffer.alloc(Math.min(size, max) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > max) return undefined;
        buffer = grown(buffer, max);
      }
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) return length > max ? undefined : buffer.subarray(0, length);
      length += bytesRead;
    }
  } finally {
    closeSync(fd);
  }
}

const grown = (buffer: Buffer, max: number): Buffer => {
  const bigger = Buffer.alloc(Math.min(buffer.length * 2, max + 1));
  buffer.copy(bigger);
  return bigger;
};

export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Reads files `$ref`s point at: regular files only, never more than the size limit, refusing what resolves
 * (through links) outside the boundary. `onRead` sees each text read.
 */
export function createRefReader(
  boundary: RefBoundary,
  limits: ParseLimits,
  onRead: (absolutePath: string, text: string) => void,
): (absolutePath: string) => RefRead {
  let realRoot: string | undefined;
  return (absolutePath) => {
    try {
      const info = statSync(absolutePath);
      if (!info.isFile()) return { ok: false, reason: 'not-a-file' };
      if (info.size > limits.maxFileBytes) return { ok: false, reason: 'too-large' };
      realRoot ??= safeRealpath(boundary.root);
      const relative = path.relative(realRoot, realpathSync(absolutePath));
      if (relative.startsWith('..') || path.isAbsolute(relative)) return { ok: false, reason: 'outside' };
      const bytes = readBounded(absolutePath, info.size, limits.maxFileBytes);
      if (bytes === undefined) return { ok: false, reason: 'too-large' };
      const text = decodeUtf8(bytes);
      if (text === undefined) return { ok: false, reason: 'unreadable', detail: 'not valid UTF-8 text' };
      onRead(absolutePath, text);
      return { ok: true, text };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR'
        ? { ok: false, reason: 'not-found' }
        : { ok: false, reason: 'unreadable', detail: code ?? String(error) };
    }
  };
}

export function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
