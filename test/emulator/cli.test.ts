/** `titan emulator` through the built CLI (`npm run build` first; `npm test` does). */
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  spawnCli as spawnTitan,
  startEmulatorProcess,
  type EmulatorProcess,
  type SpawnedCli,
} from '../helpers/emulator-process.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function spawnCli(args: string[]): SpawnedCli {
  const spawned = spawnTitan(args);
  children.push(spawned.child);
  return spawned;
}

/** Starts `titan emulator …` and waits for its one line. */
async function startCli(args: string[]): Promise<EmulatorProcess> {
  const started = await startEmulatorProcess(args);
  children.push(started.child);
  return started;
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
        const token = emulator.token as string;
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
      const token = last.token as string;
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

  it('keeps a task it acknowledged when killed with SIGKILL right after the 201 (change log)', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'titan-cli-emulator-'));
    try {
      const token = 'kill-nine-token';
      const first = await startCli(['--data-dir', dataDir, '--token', token, '--quiet']);
      const created = await fetch(`${first.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'acknowledged, then killed',
          urls: ['https://example.com'],
          objective: 'Extract the page title',
          output_schema: { type: 'object', properties: { title: { type: 'string' } } },
          execution_type: 'single',
        }),
      });
      first.child.kill('SIGKILL'); // before the coalesced snapshot (100 ms) could be written
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { data: { id: string } }).data.id;
      expect(await first.exit).toBeNull();

      const second = await startCli(['--data-dir', dataDir, '--token', token, '--quiet']);
      const task = (await (await get(second.url, token, `/tasks/${id}`)).json()) as {
        data: { name: string };
      };
      expect(task.data.name).toBe('acknowledged, then killed');
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('adds the templates of --templates FILE, answers creates with --create-status, lists per --list-meta', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'titan-cli-templates-'));
    try {
      const file = path.join(dir, 'templates.json');
      await writeFile(file, JSON.stringify([{ slug: 'team-news', name: 'Team news', action_type: 'crawl' }]));
      const emulator = await startCli([
        '--token',
        'tok',
        '--templates',
        file,
        '--create-status',
        '202',
        '--list-meta',
        'none',
      ]);
      const templates = (await (await get(emulator.url, 'tok', '/templates')).json()) as {
        data: { slug: string }[];
      };
      expect(templates.data.map((t) => t.slug)).toContain('team-news');
      const created = await fetch(`${emulator.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { Authorization: 'Bearer tok', 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'from a template',
          urls: ['https://example.com/news'],
          objective: 'Read the news',
          output_schema: { type: 'object' },
          execution_type: 'single',
          template_slug: 'team-news',
        }),
      });
      expect(created.status).toBe(202);
      expect(Object.keys((await (await get(emulator.url, 'tok', '/tasks')).json()) as object).sort()).toEqual(
        ['data', 'success'],
      );
      emulator.child.kill('SIGTERM');
      expect(await emulator.exit).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unusable --templates file with every problem named, and documents the switches in --help', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'titan-cli-templates-'));
    try {
      const file = path.join(dir, 'templates.json');
      await writeFile(
        file,
        JSON.stringify([{ slug: 'product-page', name: 'Mine', action_type: 'scrape' }, { name: 'x' }]),
      );
      const bad = spawnCli(['emulator', '--port', '0', '--templates', file]);
      expect(await bad.exit).toBe(3);
      expect(bad.stderr()).toContain(`${file}[0].slug: "product-page" is already a template`);
      expect(bad.stderr()).toContain(
        `${file}[1].action_type: must be one of search, crawl, scrape, api_call`,
      );
      await writeFile(file, '[{"slug": ');
      const broken = spawnCli(['emulator', '--port', '0', '--templates', file]);
      expect(await broken.exit).toBe(3);
      expect(broken.stderr()).toMatch(/--templates: .*templates\.json is not valid JSON/);
      expect(broken.stdout()).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const help = spawnCli(['emulator', '--help']);
    expect(await help.exit).toBe(0);
    for (const flag of ['--templates', '--create-status', '--list-meta', '--edit-during-list']) {
      expect(help.stdout()).toContain(flag);
    }
  });

  it.each([
    [['--max-page-size', '0'], /--max-page-size must be a whole number of at least 1, not "0"\./],
    [['--list-shape', 'tree'], /--list-shape must be one of array, object/],
    [['--fault-rate', '1.5'], /--fault-rate must be a share from 0 to 1/],
    [['--port', '70000'], /--port must be a whole number/],
    [['--latency', 'soon'], /--latency must be a whole number/],
    [['--token', 'abc:tasks:fly'], /unknown scope "tasks:fly"/],
    [['--refused-update-status', '400'], /--refused-update-status must be one of 405, 501, 404/],
    [['--disable-feature', 'billing'], /--disable-feature must be one of execution-plans, datasets, media/],
    [['--update-method', 'post'], /--update-method must be one of patch, put, both/],
  ])('rejects bad flags %j with exit 3 and a clear message', async (args, message) => {
    const run = spawnCli(['emulator', '--port', '0', ...args]);
    expect(await run.exit).toBe(3);
    expect(run.stderr()).toMatch(message);
    expect(run.stdout()).toBe('');
  });
});
