/** The process-level effects a command may use, passed in so tests can run commands in-process. */
import type { Readable, Writable } from 'node:stream';
import type { SensitiveValues } from '../core/scrub.js';

export interface ProcessIO {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  /** The bundle's manifest worker script: large workspaces are checked on several threads with it. */
  manifestWorker?: URL;
  /** Reuse unchanged manifest files' checks from earlier runs (off with --no-cache); `build` names this build. */
  checkCache?: { build: string };
  /** The sensitive values this run knows (set by `main`, which scrubs stdout and stderr with them). */
  sensitive?: SensitiveValues;
}

/** Colour only on TTYs, never with NO_COLOR or --no-color. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/**
 * The stream a command writes to: every text is scrubbed of the sensitive values known at the time of the write,
 * and once the reader has gone (EPIPE: `titan apply | head -1`) further output is dropped instead of failing the
 * command — an apply must finish and record what it did whatever happens to its output.
 */
export function guardedStream<S extends Writable>(stream: S, scrub: (text: string) => string): S {
  let gone = false;
  stream.on('error', () => {
    gone = true;
  });
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const done = [encoding, callback].find(
      (a): a is (error?: Error | null) => void => typeof a === 'function',
    );
    if (gone || stream.destroyed || stream.writableEnded) {
      if (done) process.nextTick(done);
      return true;
    }
    const text =
      typeof chunk === 'string'
        ? scrub(chunk)
        : Buffer.isBuffer(chunk)
          ? scrub(chunk.toString('utf8'))
          : chunk;
    try {
      return done ? stream.write(text, done) : stream.write(text);
    } catch {
      gone = true; // a synchronous write to a closed pipe
      return true;
    }
  };
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
