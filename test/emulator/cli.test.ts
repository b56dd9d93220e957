/** `titan emulator` through the built CLI (`npm run build` first; `npm test` does). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/titan.js', import.meta.url));

interface Started {
  child: ChildProcess;
  line: string;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function spawnCli(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Starts `titan emulator …` and waits for its one line. */
async function startCli(args: string[]): Promise<Started> {
  const started = spawnCli(['emulator', '--port', '0', ...args]);
  for (let i = 0; i < 200 && !started.stdout().includes('\n'); i++) {
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const line = started.stdout().split('\n')[0] ?? '';
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
  if (!url) throw new Error(`no URL printed; stdout: ${started.stdout()} stderr: ${started.stderr()}`);
  return { ...started, line, url };
}

const get = (url: string, token: string, pathname: string) =>
  fetch(`${url}/api/v1${pathname}`, { headers: { Authorization: `Bearer ${token}` } });

describe('titan emulator', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/titan.js is missing: run `npm run build` first');
  });

  it('prints one line with its URL and made-up token, serves, and exits 0 on SIGTERM and SIGINT', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'titan-cli-emulator-'));
    try {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const emulator = await startCli(['--data-dir', dataDir, '--quiet']);
        const token = /\(token: (\S+)\)$/.exec(emulator.line)?.[1] as string;
        expect(token).toMatch(/^titan-emu-/);
        const created = await fetch(`${emulator.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            name: `made before ${signal}`,
            urls: ['https://example.com'],
            objective: 'Extract the page title',
            output_schema: { type: 'object', properties: { title: { type: 'string' } } },
            execution_type: 'single',
          }),
        });
        expect(created.status).toBe(201);
        const list = (await (await get(emulator.url, token, '/tasks')).json()) as {
          data: { name: string }[];
        };
        expect(list.data.map((t) => t.name)).toContain(`made before ${signal}`);
        emulator.child.kill(signal);
        expect(await emulator.exit).toBe(0);
        expect(emulator.stdout().trimEnd().split('\n')).toHaveLength(1);
      }
      // The second run found the first run's task in the data folder (checked by the list above), and so on.
      const last = await startCli(['--data-dir', dataDir, '--quiet']);
      const token = /\(token: (\S+)\)$/.exec(last.line)?.[1] as string;
      const list = (await (await get(last.url, token, '/tasks')).json()) as { data: { name: string }[] };
      expect(list.data.map((t) => t.name)).toEqual(['made before SIGTERM', 'made before SIGINT']);
      last.child.kill('SIGTERM');
      expect(await last.exit).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('uses the given tokens and scopes (and does not print them), and wires the switches', async () => {
    const emulator = await startCli([
      '--token',
      'reader-secret-1:tasks:read',
      '--list-shape',
      'object',
      '--max-page-size',
      '3',
    ]);
    expect(emulator.line).not.toContain('reader-secret-1');
    expect(emulator.line).not.toContain('token');
    const list = (await (await get(emulator.url, 'reader-secret-1', '/tasks?limit=50')).json()) as {
      data: unknown;
    };
    expect(list.data).toEqual({ items: [], total: 0 });
    const write = await fetch(`${emulator.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { Authorization: 'Bearer reader-secret-1', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(write.status).toBe(403);
    emulator.child.kill('SIGTERM');
    expect(await emulator.exit).toBe(0);
    expect(emulator.stderr()).toContain('POST /api/v1/tasks 403');
    expect(emulator.stderr()).not.toContain('reader-secret-1');
  });

  it.each([
    [['--list-shape', 'tree'], /--list-shape must be one of array, object/],
    [['--fault-rate', '1.5'], /--fault-rate must be a share from 0 to 1/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--latency', 'soon'], /--latency must be a whole number/],
    [['--token', 'abc:tasks:fly'], /unknown scope "tasks:fly"/],
    [['--update-method', 'post'], /--update-method must be one of patch, put, both/],
  ])('rejects bad flags %j with exit 3 and a clear message', async (args, message) => {
    const run = spawnCli(['emulator', '--port', '0', ...args]);
    expect(await run.exit).toBe(3);
    expect(run.stderr()).toMatch(message);
    expect(run.stdout()).toBe('');
  });
});
