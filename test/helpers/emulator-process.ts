/** `titan emulator` as a real process (the built CLI: `npm run build` first), for tests of what users run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/titan.js', import.meta.url));

export interface SpawnedCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

export interface EmulatorProcess extends SpawnedCli {
  /** The one line it printed on start. */
  line: string;
  url: string;
  /** The made-up token from the start line; undefined when tokens were given with --token. */
  token: string | undefined;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** `node dist/titan.js ARGS…` with its output collected. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): SpawnedCli {
  if (!existsSync(CLI)) throw new Error('dist/titan.js is missing: run `npm run build` first');
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Starts `titan emulator --port 0 ARGS…` and waits for its start line (URL, and the token it made up). */
export async function startEmulatorProcess(args: string[]): Promise<EmulatorProcess> {
  const started = spawnCli(['emulator', '--port', '0', ...args]);
  for (let i = 0; i < 400 && !started.stdout().includes('\n'); i++) {
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const line = started.stdout().split('\n')[0] ?? '';
  const url = /^Titan emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
  if (!url) {
    started.child.kill('SIGKILL');
    throw new Error(`no start line; stdout: ${started.stdout()} stderr: ${started.stderr()}`);
  }
  const token = /\(token: (\S+)\)$/.exec(line)?.[1];
  const stop = (): Promise<number | null> => {
    started.child.kill('SIGTERM');
    return started.exit;
  };
  return { ...started, line, url, token, stop };
}
