/** The process-level effects a command may use, passed in so tests can run commands in-process. */
import type { Readable, Writable } from 'node:stream';

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
}

/** Colour only on TTYs, never with NO_COLOR or --no-color. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}
