import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask, waitForExecution } from './api.js';

let dataDir: string;
const running: Emulator[] = [];
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'titan-emulator-data-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
  await rm(dataDir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<Emulator> {
  const emulator = await startEmulator({
    dataDir,
    scheduler: false,
    queueDelayMs: 0,
    urlDurationMs: 0,
    ...options,
  });
  running.push(emulator);
  return emulator;
}

async function exportText(emulator: Emulator, executionId: string): Promise<string> {
  const response = await fetch(`${emulator.url}/api/v1/executions/${executionId}/results/export`, {
    headers: { Authorization: `Bearer ${emulator.token}` },
  });
  return response.text();
}

describe('persistence in a data folder', () => {
  it('keeps tasks, executions and media across a restart', async () => {
    const first = await start();
    const schema: JsonObject = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        photo: { type: 'string', format: 'uri', contentMediaType: 'image/png' },
      },
    };
    const task = (await call(first, 'POST', '/tasks', classicTask({ output_schema: schema }))).body.data;
    const deleted = (await call(first, 'POST', '/tasks', classicTask({ name: 'gone' }))).body.data;
    await call(first, 'DELETE', `/tasks/${deleted.id}`);
    const execution = (await call(first, 'POST', `/tasks/${task.id}/run`)).body.data;
    const finished = await waitForExecution(first, execution.id);
    const media = (await call(first, 'GET', `/executions/${execution.id}/media`)).body.data;
    const exported = await exportText(first, execution.id);
    await first.close();

    const second = await start();
    expect((await call(second, 'GET', `/tasks/${task.id}`)).body.data).toEqual(task);
    expect((await call(second, 'GET', `/tasks/${deleted.id}`)).body.data.status).toBe('deleted');
    expect((await call(second, 'GET', '/tasks')).body.data.map((t: { id: string }) => t.id)).toEqual([
      task.id,
    ]);
    expect((await call(second, 'GET', `/executions/${execution.id}`)).body.data).toEqual(finished);
    const mediaAfter = (await call(second, 'GET', `/executions/${execution.id}/media`)).body.data;
    expect(mediaAfter.map((m: { id: string }) => m.id)).toEqual(media.map((m: { id: string }) => m.id));
    const bytes = await fetch(mediaAfter[0].url, { headers: { Authorization: `Bearer ${second.token}` } });
    expect(bytes.status).toBe(200);
    expect(Buffer.from(await bytes.arrayBuffer()).length).toBe(media[0].size);
    // Same records, with media URLs pointing at the new origin.
    expect(await exportText(second, execution.id)).toBe(exported.replaceAll(first.url, second.url));
  });

  it('coalesces a burst of writes into a few atomic snapshots, flushed on close', async () => {
    const emulator = await start();
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => call(emulator, 'POST', '/tasks', classicTask({ name: `t${i}` }))),
    );
    await emulator.close();
    expect(emulator.stats().stateWrites).toBeGreaterThanOrEqual(1);
    expect(emulator.stats().stateWrites).toBeLessThan(50);
    const files = await readdir(dataDir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const state = JSON.parse(await readFile(path.join(dataDir, 'state.json'), 'utf8'));
    expect(state.tasks).toHaveLength(500);
  });

  it('never writes tokens or secret payloads to the data folder', async () => {
    const emulator = await start();
    const task = (await call(emulator, 'POST', '/tasks', classicTask())).body.data;
    await call(emulator, 'POST', `/tasks/${task.id}/run`, { secret_payload: { password: 'hunter2-secret' } });
    await emulator.close();
    const state = await readFile(path.join(dataDir, 'state.json'), 'utf8');
    expect(state).not.toContain(emulator.token);
    expect(state).not.toContain('hunter2-secret');
  });

  it('keeps updated_at increasing after a restart even if the clock went back', async () => {
    const first = await start({ now: () => new Date('2031-01-01T00:00:00Z') });
    const task = (await call(first, 'POST', '/tasks', classicTask())).body.data;
    await first.close();
    const second = await start();
    const updated = (await call(second, 'PATCH', `/tasks/${task.id}`, { name: 'renamed' })).body.data;
    expect(updated.updated_at > task.updated_at).toBe(true);
  });

  it('finishes an execution that was running when the emulator stopped', async () => {
    const first = await start({ queueDelayMs: 60_000 });
    const task = (await call(first, 'POST', '/tasks', classicTask())).body.data;
    const execution = (await call(first, 'POST', `/tasks/${task.id}/run`)).body.data;
    await first.close();
    const second = await start();
    expect((await waitForExecution(second, execution.id)).status).toBe('completed');
  });

  it('replays the change log over the snapshot (a torn last line is ignored), then folds it into the next one', async () => {
    const first = await start();
    const task = (await call(first, 'POST', '/tasks', classicTask())).body.data;
    await first.close();
    const logs = (await readdir(dataDir)).filter((f) => /^changes\.\d+\.log$/.test(f));
    expect(logs).toHaveLength(1); // the older logs went with the snapshot that holds their changes
    const state = JSON.parse(await readFile(path.join(dataDir, 'state.json'), 'utf8'));
    const record = state.tasks[0];
    const renamed = { ...record, spec: { ...record.spec, name: 'renamed after the snapshot' } };
    const log = path.join(dataDir, logs[0] as string);
    await appendFile(log, `${JSON.stringify({ task: renamed })}\n{"task": {"id": "cut sh`);

    const second = await start();
    expect((await call(second, 'GET', `/tasks/${task.id}`)).body.data.name).toBe(
      'renamed after the snapshot',
    );
    expect((await call(second, 'GET', '/tasks')).body.data).toHaveLength(1);
    await second.close();
    const after = JSON.parse(await readFile(path.join(dataDir, 'state.json'), 'utf8'));
    expect(after.tasks[0].spec.name).toBe('renamed after the snapshot');
    expect(await readdir(dataDir)).not.toContain(logs[0]);
  });

  it('refuses to start on a change log with an unreadable line, naming it', async () => {
    await writeFile(path.join(dataDir, 'changes.0.log'), 'not json\n{"task": {"id": "x"}}\n');
    await expect(createEmulator({ dataDir, quiet: true })).rejects.toThrow(
      /change log .*changes\.0\.log is not readable \(line 1\)/,
    );
  });

  it('refuses to start on an unreadable state file, naming it', async () => {
    await writeFile(path.join(dataDir, 'state.json'), '{"version": 1, "tasks": [');
    await expect(createEmulator({ dataDir, quiet: true })).rejects.toThrow(/state\.json is not readable/);
  });
});

describe('the scheduler', () => {
  /** A clock 200 ms before a minute boundary, running at real speed. */
  const clockNearMinute = () => {
    const base = Date.parse('2025-06-01T10:00:59.800Z');
    const started = Date.now();
    return () => new Date(base + (Date.now() - started));
  };

  it('starts executions of scheduled tasks on their cron (UTC)', async () => {
    const emulator = await startEmulator({ now: clockNearMinute(), queueDelayMs: 60_000 });
    running.push(emulator);
    const task = (
      await call(
        emulator,
        'POST',
        '/tasks',
        classicTask({ execution_type: 'scheduled', schedule: '* * * * *' }),
      )
    ).body.data;
    const other = (
      await call(
        emulator,
        'POST',
        '/tasks',
        classicTask({ execution_type: 'scheduled', schedule: '0 3 * * *' }),
      )
    ).body.data;
    await new Promise((resolve) => setTimeout(resolve, 600));
    const executions = (await call(emulator, 'GET', `/tasks/${task.id}/executions`)).body.data;
    expect(executions).toHaveLength(1);
    expect(executions[0].created_at.startsWith('2025-06-01T10:01:00')).toBe(true);
    expect((await call(emulator, 'GET', `/tasks/${other.id}/executions`)).body.data).toHaveLength(0);
  });

  it('does nothing when switched off, or for a deleted task', async () => {
    const off = await startEmulator({ now: clockNearMinute(), scheduler: false });
    running.push(off);
    const body = classicTask({ execution_type: 'scheduled', schedule: '* * * * *' });
    const task = (await call(off, 'POST', '/tasks', body)).body.data;
    const on = await startEmulator({ now: clockNearMinute() });
    running.push(on);
    const deleted = (await call(on, 'POST', '/tasks', body)).body.data;
    await call(on, 'DELETE', `/tasks/${deleted.id}`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await call(off, 'GET', `/tasks/${task.id}/executions`)).body.data).toHaveLength(0);
    expect((await call(on, 'GET', '/executions')).body.data).toHaveLength(0);
  });
});
