/**
 * `titan apply --auto-approve | head -1`: the reader of stdout goes away after the first line. Output errors never
 * interrupt an apply: it finishes, records every task in titan.lock, leaves no journal or workspace lock behind,
 * and prints no stack trace.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { classicTask, createWorkspace, liveTasks, titanEnv } from './apply-support.js';
import { TITAN_BIN } from './examples-cli.js';

describe('an apply whose stdout is closed early', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false, latencyMs: 5 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('finishes and persists, without a stack trace', { timeout: 60_000 }, async () => {
    const ws = createWorkspace('titan-epipe-');
    const tasks = Array.from({ length: 30 }, (_, i) => classicTask(`t${i}`));
    ws.writeManifests(tasks);
    const child = spawn(process.execPath, [TITAN_BIN, 'apply', '--auto-approve'], {
      cwd: ws.dir,
      env: titanEnv(emulator),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // Like `head -1`: read the first chunk, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Internal error|\n\s+at /);
    expect(code).toBe(0);
    const lock = JSON.parse(readFileSync(path.join(ws.dir, 'titan.lock'), 'utf8')) as {
      tasks: Record<string, unknown>;
    };
    expect(Object.keys(lock.tasks).sort()).toEqual(tasks.map((t) => t.key).sort());
    expect((await liveTasks(emulator)).length).toBe(30);
    expect(existsSync(path.join(ws.dir, '.titan', 'journal.ndjson'))).toBe(false);
    expect(existsSync(path.join(ws.dir, '.titan', 'apply.lock'))).toBe(false);
  });
});
