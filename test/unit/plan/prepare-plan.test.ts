/**
 * The plan use case reads fail closed: against the emulator over real HTTP, with a client whose `fetch` lets a
 * test interfere between the listing and the full reads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { preparePlan } from '../../../src/app/plan.js';
import { OperationalError, RefusedError } from '../../../src/core/errors.js';
import type { TaskSpec } from '../../../src/core/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';
import { createBodyFromSpec } from '../../../src/core/task-body.js';
import type { Emulator } from '../../../src/emulator/index.js';
import { createClient } from '../../../src/io/api/client.js';
import { resolveWorkspace } from '../../../src/io/workspace.js';
import { startEmulator } from '../../helpers/emulator.js';

const spec = (name: string, objective = 'Extract the title'): TaskSpec => ({
  name,
  execution_type: 'single',
  urls: ['https://shop.example/p/1'],
  objective,
  output_schema: { type: 'object', properties: { title: { type: 'string' } } },
});

let emulator: Emulator | undefined;
afterEach(() => emulator?.close());

/** A workspace whose manifest changed task `a` (so a summary listing needs its full read) and a lock for it. */
async function setUp(listItems: 'full' | 'summary') {
  emulator = await startEmulator({ scheduler: false, listItems, maxPageSize: 2 });
  const created = emulator.remote.createTask(createBodyFromSpec(spec('A')));
  for (let i = 0; i < 4; i += 1) emulator.remote.createTask(createBodyFromSpec(spec(`Other ${i}`)));
  const dir = mkdtempSync(path.join(tmpdir(), 'titan-prepare-'));
  writeFileSync(
    path.join(dir, 'a.yaml'),
    `apiVersion: titan/v1\nkind: Task\nmetadata: {name: a}\nspec: ${JSON.stringify(spec('A', 'Extract the title and price'))}\n`,
  );
  const lock = {
    version: 1,
    lineage: '11111111-2222-4333-8444-555555555555',
    serial: 1,
    origin: emulator.url,
    tasks: {
      a: {
        id: String(created.id),
        digest: appliedDigest(spec('A')),
        updated_at: String(created.updated_at),
        file: 'a.yaml',
        protect: false,
      },
    },
  };
  writeFileSync(path.join(dir, 'titan.lock'), JSON.stringify(lock));
  return { dir, id: String(created.id), emulator };
}

const deps = (emu: Emulator, dir: string, fetchHook: typeof fetch) => ({
  client: createClient({
    origin: emu.url,
    token: emu.token,
    fetch: fetchHook,
    maxAttempts: 1,
    sleep: async () => {},
  }),
  origin: emu.url,
  workspace: resolveWorkspace([dir], dir),
  cwd: dir,
  env: {},
});

describe('preparePlan reads', () => {
  it('plans from the listing and full reads, and hands apply the real desired specs and the live tasks', async () => {
    const { dir, id, emulator: emu } = await setUp('summary');
    const prepared = await preparePlan(deps(emu, dir, fetch), { paths: [dir] });
    expect(prepared.plan.changes.map((c) => `${c.action} ${c.key}`)).toEqual(['update a']);
    expect(prepared.desired.get('a')?.spec.objective).toBe('Extract the title and price');
    expect(prepared.live.get(id)?.spec?.objective).toBe('Extract the title');
    expect(prepared.live.size).toBe(5);
    expect(prepared.plan.manifests).toEqual({ paths: ['.'], files: ['a.yaml'] });
  });

  it('a task deleted between the listing and its full read fails the plan (exit 1)', async () => {
    const { dir, id, emulator: emu } = await setUp('summary');
    const racing: typeof fetch = async (input, init) => {
      if (String(input).endsWith(`/api/v1/tasks/${id}`)) emu.remote.deleteTask(id);
      return fetch(input, init);
    };
    const attempt = preparePlan(deps(emu, dir, racing), { paths: [dir] });
    await expect(attempt).rejects.toThrow(OperationalError);
    await expect(attempt).rejects.toThrow(/could not be read in full/);
  });

  it('a failed page fails the plan: it never becomes "create everything"', async () => {
    const { dir, emulator: emu } = await setUp('full');
    const failing: typeof fetch = async (input, init) => {
      if (String(input).includes('offset=2')) throw new TypeError('fetch failed');
      return fetch(input, init);
    };
    await expect(preparePlan(deps(emu, dir, failing), { paths: [dir] })).rejects.toThrow(OperationalError);
  });

  it('refuses a guarded plan unless asked to keep refusals', async () => {
    const { dir, emulator: emu } = await setUp('full');
    writeFileSync(path.join(dir, 'a.yaml'), '');
    await expect(preparePlan(deps(emu, dir, fetch), { paths: [dir] })).rejects.toThrow(RefusedError);
    const kept = await preparePlan(deps(emu, dir, fetch), { paths: [dir], keepRefusals: true });
    expect(kept.plan.refusals.map((r) => r.reason)).toEqual(['mass-delete']);
  });
});
