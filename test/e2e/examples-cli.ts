/**
 * Spawning the built CLI (`node dist/titan.js`) from the examples, init and README tests. Asynchronous on
 * purpose: the emulator these tests start runs in the test process and must keep answering while titan runs.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const TITAN_BIN = path.join(REPO_ROOT, 'dist/titan.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment without anything that would change titan's behaviour unless a test sets it. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  return { ...env, ...extra };
}

export function runTitan(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<CliResult> {
  if (!existsSync(TITAN_BIN)) throw new Error('dist/titan.js is missing: run `npm run build` first');
  return runCommand(process.execPath, [TITAN_BIN, ...args], options.cwd, options.env ?? cleanEnv());
}

export function runCommand(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

/**
 * A fresh temporary copy of `examples/<name>` (titan writes titan.lock and .titan/ into it), without the
 * lockfile and `.titan/` that `npm run demo` or a user may have left in the checkout.
 */
export function copyExample(name: string, target?: string): string {
  const dir = target ?? mkdtempSync(path.join(tmpdir(), `titan-${name}-`));
  cpSync(path.join(REPO_ROOT, 'examples', name), dir, {
    recursive: true,
    filter: (source) => !['titan.lock', '.titan'].includes(path.basename(source)),
  });
  return dir;
}

/** Explains a failed expectation on an exit code with the command's output. */
export const describeRun = (result: CliResult): string =>
  `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;

/**
 * A maker of temporary folders that are all removed after the last test of the calling file (call it at the top
 * level of a test file or `describe`), so test runs leave nothing behind in the temp folder.
 */
export function useTempDirs(): (prefix: string) => string {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
