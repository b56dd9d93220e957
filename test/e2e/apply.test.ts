/**
 * `titan apply`, `destroy`, `import`, `state` and saved plans end to end: the built CLI in temporary git
 * workspaces against an emulator on a free port.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../../src/emulator/index.js';
import { readLockfile } from '../../src/io/lockfile.js';
import { useEmulator } from '../helpers/emulator.js';
import {
  applyInProcess,
  classicTask,
  createWorkspace,
  describeRun,
  liveTasks,
  titan,
  writeCount,
  type ManifestSpec,
  type Workspace,
} from './apply-support.js';

const lockOf = async (ws: Workspace) => {
  const lock = await readLockfile(path.join(ws.dir, 'titan.lock'));
  if (lock === null) throw new Error('no titan.lock');
  return lock;
};

async function applied(
  ws: Workspace,
  emulator: Emulator,
  tasks: ManifestSpec[],
  ...flags: string[]
): Promise<void> {
  ws.writeManifests(tasks);
  const result = await titan(ws, emulator, ['apply', '--auto-approve', ...flags]);
  expect(result.code, describeRun(result)).toBe(0);
}

describe('titan apply', () => {
  const emulator = useEmulator({ scheduler: false });

  it('validate → plan (exit 2) → apply → plan (exit 0); a no-op apply leaves titan.lock byte-identical', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('alpha'), classicTask('beta'), classicTask('gamma')]);
    const before = (await liveTasks(emulator())).length;

    expect((await titan(ws, emulator(), ['validate'])).code).toBe(0);
    const plan = await titan(ws, emulator(), ['plan', '--detailed-exitcode']);
    expect(plan.code, describeRun(plan)).toBe(2);
    expect(plan.stdout).toContain('Plan: 3 to create');

    const writes = writeCount(emulator());
    const unconfirmed = await titan(ws, emulator(), ['apply']);
    expect(unconfirmed.code).toBe(4);
    expect(unconfirmed.stderr).toContain('Confirmation required (use --auto-approve in CI)');
    expect(writeCount(emulator())).toBe(writes);

    const apply = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(apply.code, describeRun(apply)).toBe(0);
    expect(apply.stdout).toMatch(/\+ created alpha \(.+\) \[\d\/3\]/);
    expect(apply.stdout).toContain('Apply complete: 3 done (3 created), 0 failed, 0 not attempted');
    expect((await liveTasks(emulator())).length).toBe(before + 3);
    expect(Object.keys((await lockOf(ws)).tasks)).toEqual(['alpha', 'beta', 'gamma']);

    expect((await titan(ws, emulator(), ['plan', '--detailed-exitcode'])).code).toBe(0);
    ws.commitAll('apply');
    const lockBytes = readFileSync(path.join(ws.dir, 'titan.lock'));
    const again = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expect(readFileSync(path.join(ws.dir, 'titan.lock')).equals(lockBytes)).toBe(true);
    expect(ws.git('status', '--porcelain')).toBe('');
  });

  it('updates in place, moves on previousNames without a new task, deletes a removed manifest', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('one'), classicTask('two'), classicTask('three')]);
    const ids = (await lockOf(ws)).tasks;
    const creates = emulator().stats().byRoute['POST /api/v1/tasks'] ?? 0;

    await applied(ws, emulator(), [classicTask('one', 2), classicTask('two'), classicTask('three')]);
    const lock1 = await lockOf(ws);
    expect(lock1.tasks.one?.id).toBe(ids.one?.id);
    const live1 = await liveTasks(emulator());
    expect(live1.find((t) => t.id === ids.one?.id)?.spec?.objective).toBe('Extract the price of one (v2)');

    const renamed = { ...classicTask('two'), key: 'two-renamed', previousNames: ['two'] };
    ws.writeManifests([classicTask('one', 2), renamed, classicTask('three')]);
    const plan = await titan(ws, emulator(), ['plan']);
    expect(plan.stdout).toContain('Plan: 1 to move');
    await applied(ws, emulator(), [classicTask('one', 2), renamed, classicTask('three')]);
    const lock2 = await lockOf(ws);
    expect(lock2.tasks['two-renamed']?.id).toBe(ids.two?.id);
    expect(lock2.tasks.two).toBeUndefined();

    await applied(ws, emulator(), [classicTask('one', 2), renamed]);
    const live3 = await liveTasks(emulator());
    expect(live3.some((t) => t.id === ids.three?.id)).toBe(false);
    expect((await lockOf(ws)).tasks.three).toBeUndefined();
    expect(emulator().stats().byRoute['POST /api/v1/tasks'] ?? 0).toBe(creates);
  });

  it('refuses to delete a protected task (exit 4) until protect: false is applied', async () => {
    const ws = createWorkspace();
    const guarded = { ...classicTask('guarded'), protect: true };
    await applied(ws, emulator(), [guarded, classicTask('other')]);
    const id = (await lockOf(ws)).tasks.guarded?.id as string;

    ws.writeManifests([classicTask('other')]);
    const writes = writeCount(emulator());
    const refused = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(refused.code, describeRun(refused)).toBe(4);
    expect(refused.stderr).toMatch(/protected/);
    expect(writeCount(emulator())).toBe(writes);
    expect((await liveTasks(emulator())).some((t) => t.id === id)).toBe(true);

    await applied(ws, emulator(), [{ ...guarded, protect: false }, classicTask('other')]);
    expect((await lockOf(ws)).tasks.guarded?.protect).toBe(false);
    await applied(ws, emulator(), [classicTask('other')]);
    expect((await liveTasks(emulator())).some((t) => t.id === id)).toBe(false);
  });

  it('shows drift made through the API and repairs it', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('drifty')]);
    const id = (await lockOf(ws)).tasks.drifty?.id as string;
    // Someone edits the task with their own HTTP client.
    const edit = await fetch(`${emulator().url}/api/v1/tasks/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${emulator().token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ objective: 'changed by hand' }),
    });
    expect(edit.status).toBe(200);

    const plan = await titan(ws, emulator(), ['plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('changed by hand');
    expect(plan.stdout).toMatch(/changed outside titan/);
    await applied(ws, emulator(), [classicTask('drifty')]);
    const live = (await liveTasks(emulator())).find((t) => t.id === id);
    expect(live?.spec?.objective).toBe('Extract the price of drifty (v1)');
    expect((await titan(ws, emulator(), ['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('destroy deletes every managed task after confirmation and leaves unmanaged ones', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('d1'), classicTask('d2')]);
    const outsider = emulator().remote.createTask({ ...classicTask('outsider').spec } as never);
    const managed = Object.values((await lockOf(ws)).tasks).map((e) => e.id);

    expect((await titan(ws, emulator(), ['destroy'])).code).toBe(4);
    const destroy = await titan(ws, emulator(), ['destroy', '--auto-approve']);
    expect(destroy.code, describeRun(destroy)).toBe(0);
    expect(destroy.stdout).toContain('2 done (2 deleted)');
    const live = await liveTasks(emulator());
    expect(live.some((t) => managed.includes(t.id))).toBe(false);
    expect(live.some((t) => t.id === outsider.id)).toBe(true);
    expect((await lockOf(ws)).tasks).toEqual({});
  });
});

describe('titan import', () => {
  const emulator = useEmulator({ scheduler: false });

  it('import KEY TASK_ID records an existing task; the manifest must exist', async () => {
    const ws = createWorkspace();
    const existing = classicTask('adopt-me');
    const created = emulator().remote.createTask(existing.spec as never);
    ws.writeManifests([existing]);

    const missing = await titan(ws, emulator(), ['import', 'not-declared', String(created.id)]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('No manifest declares the key "not-declared"');

    const imported = await titan(ws, emulator(), ['import', 'adopt-me', String(created.id)]);
    expect(imported.code, describeRun(imported)).toBe(0);
    expect(imported.stdout).toContain('It matches its manifest');
    expect((await lockOf(ws)).tasks['adopt-me']?.id).toBe(created.id);
    expect((await titan(ws, emulator(), ['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('import --all writes manifests that validate, with de-duplicated keys, and the next plan is empty', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('kept')]);
    const body = (name: string, n: number) => ({
      name,
      execution_type: 'scheduled',
      schedule: '0 6 * * *',
      urls: [`https://news.example/${n}`],
      objective: `Collect headlines ${n}, written as \${literal}`,
      output_schema: { type: 'object', properties: { title: { type: 'string' } } },
    });
    emulator().remote.createTask(body('Shop Prices!', 1));
    emulator().remote.createTask(body('Shop Prices!', 2));
    emulator().remote.createTask(body('Ünïcode Näme', 3));

    const result = await titan(ws, emulator(), ['import', '--all', '--out-dir', 'tasks/imported']);
    expect(result.code, describeRun(result)).toBe(0);
    for (const key of ['shop-prices', 'shop-prices-2', 'unicode-name']) {
      expect(result.stdout).toContain(`tasks/imported/${key}.yaml`);
    }
    expect((await titan(ws, emulator(), ['validate'])).code).toBe(0);
    const plan = await titan(ws, emulator(), ['plan', '--detailed-exitcode']);
    expect(plan.code, describeRun(plan)).toBe(0);
  });
});

describe('titan state and saved plans', () => {
  const emulator = useEmulator({ scheduler: false });

  it('state list / show / mv / rm inspect and repair the lockfile (rm and mv bump the serial)', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('s1'), classicTask('s2')]);
    const serial = (await lockOf(ws)).serial;

    const list = await titan(ws, emulator(), ['state', 'list']);
    expect(list.stdout).toMatch(/^KEY\s+TASK ID/);
    expect(list.stdout).toContain('s1');
    const show = await titan(ws, emulator(), ['state', 'show', 's2', '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ key: 's2', file: 'tasks/s2.yaml' });
    expect((await titan(ws, emulator(), ['state', 'show', 'nope'])).code).toBe(3);

    const taken = await titan(ws, emulator(), ['state', 'mv', 's1', 's2']);
    expect(taken.code, describeRun(taken)).toBe(4);
    expect(taken.stderr).toContain('titan.lock already has an entry "s2"');
    expect(taken.stderr).toContain('titan state rm s2');
    expect((await lockOf(ws)).serial).toBe(serial);

    expect((await titan(ws, emulator(), ['state', 'mv', 's1', 's1-new'])).code).toBe(0);
    expect((await lockOf(ws)).serial).toBe(serial + 1);
    const rm = await titan(ws, emulator(), ['state', 'rm', 's2']);
    expect(rm.stdout).toContain('stays on the service');
    const lock = await lockOf(ws);
    expect(Object.keys(lock.tasks)).toEqual(['s1-new']);
    expect(lock.serial).toBe(serial + 2);
  });

  it('applies a saved plan, and refuses a stale one with zero writes and the list of what changed', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('p1'), classicTask('p2')]);
    ws.writeManifests([classicTask('p1', 2), classicTask('p2')]);
    expect((await titan(ws, emulator(), ['plan', '--out', 'plan.json'])).code).toBe(0);
    const ok = await titan(ws, emulator(), ['apply', 'plan.json', '--auto-approve']);
    expect(ok.code, describeRun(ok)).toBe(0);
    expect(ok.stdout).toContain('1 done (1 updated)');

    ws.writeManifests([classicTask('p1', 3), classicTask('p2', 2)]);
    expect((await titan(ws, emulator(), ['plan', '--out', 'plan.json'])).code).toBe(0);
    const p2 = (await lockOf(ws)).tasks.p2?.id as string;
    emulator().remote.updateTask(p2, { objective: 'edited meanwhile' });
    const writes = writeCount(emulator());
    const stale = await titan(ws, emulator(), ['apply', 'plan.json', '--auto-approve']);
    expect(stale.code, describeRun(stale)).toBe(4);
    expect(stale.stderr).toContain('is stale');
    expect(stale.stderr).toContain(`task p2 (${p2}) was changed on the service`);
    expect(writeCount(emulator())).toBe(writes);

    // Another apply since the plan: the lock serial moved on.
    ws.writeManifests([classicTask('p1', 4), classicTask('p2', 2)]);
    expect((await titan(ws, emulator(), ['plan', '--out', 'plan.json'])).code).toBe(0);
    await applied(ws, emulator(), [classicTask('p1', 4), classicTask('p2', 2)]);
    const serialMoved = await titan(ws, emulator(), ['apply', 'plan.json', '--auto-approve']);
    expect(serialMoved.code).toBe(4);
    expect(serialMoved.stderr).toMatch(/titan.lock changed since the plan was made \(serial \d+ → \d+/);
  });

  it('refuses a corrupt lockfile (exit 3) and a lockfile of another origin (exit 4), writing nothing', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('o1')]);
    const lockPath = path.join(ws.dir, 'titan.lock');
    const good = readFileSync(lockPath, 'utf8');
    const writes = writeCount(emulator());

    writeFileSync(lockPath, good.slice(0, 40));
    const corrupt = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(corrupt.code).toBe(3);
    expect(corrupt.stderr).toContain('titan.lock is not valid JSON');
    expect(corrupt.stderr).toContain('git checkout -- titan.lock');

    writeFileSync(lockPath, good.replace(emulator().url, 'https://api.other.example'));
    const foreign = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(foreign.code).toBe(4);
    expect(foreign.stderr).toContain('titan.lock belongs to https://api.other.example');
    expect(foreign.stderr).toContain(emulator().url);
    expect(writeCount(emulator())).toBe(writes);
  });
});

describe('titan apply: failures, --continue-on-error, --verify, confirmation', () => {
  const emulator = useEmulator({ scheduler: false });
  const rejected = classicTask('f2-rejected', 1, { template_slug: 'no-such-template' });

  it('stops starting changes after a failure, reports done / failed / not attempted, exits 1', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('f1'), rejected, classicTask('f3'), classicTask('f4')]);
    const result = await titan(ws, emulator(), ['apply', '--auto-approve', '--parallelism', '1']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stdout).toContain('Apply failed: 1 done (1 created), 1 failed, 2 not attempted');
    expect(result.stdout).toContain('not attempted: create f3, create f4');
    expect(result.stdout).toMatch(/✗ create f2-rejected: .*no template "no-such-template"/);
    expect(Object.keys((await lockOf(ws)).tasks)).toEqual(['f1']);

    const more = await titan(ws, emulator(), ['apply', '--auto-approve', '--continue-on-error']);
    expect(more.code).toBe(1);
    expect(more.stdout).toContain('Apply failed: 2 done (2 created), 1 failed, 0 not attempted');
    expect(Object.keys((await lockOf(ws)).tasks)).toEqual(['f1', 'f3', 'f4']);
  });

  it('--verify plans again afterwards; a task deleted outside titan is created again', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('v1'), classicTask('v2')]);
    const gone = (await lockOf(ws)).tasks.v1?.id as string;
    emulator().remote.deleteTask(gone);
    const result = await titan(ws, emulator(), ['apply', '--auto-approve', '--verify']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('1 done (1 created)');
    expect(result.stdout).toContain('Verified: a new plan has no changes.');
    const now = (await lockOf(ws)).tasks.v1?.id;
    expect(now).not.toBe(gone);
    expect((await liveTasks(emulator())).some((t) => t.id === now)).toBe(true);
  });

  it('on a terminal, asks before applying and applies nothing without "y"', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('asked')]);
    const writes = writeCount(emulator());
    const no = await applyInProcess(ws, emulator(), { autoApprove: false }, { ask: async () => 'n' });
    expect(no.code).toBe(4);
    expect(no.output).toContain('Not applied.');
    expect(no.output).toContain('Not confirmed; nothing was applied.');
    expect(no.output).toMatch(/Answer "y" or "yes" to apply .*pass --auto-approve/);
    expect(writeCount(emulator())).toBe(writes);
    const questions: string[] = [];
    const yes = await applyInProcess(
      ws,
      emulator(),
      { autoApprove: false },
      {
        ask: async (question) => {
          questions.push(question);
          return 'y';
        },
      },
    );
    expect(yes.code, yes.output).toBe(0);
    expect(questions).toEqual(['Apply these changes? Only "y" or "yes" applies them. (y/N) ']);
    expect(yes.output).toContain('+ create asked');
  });
});

describe('titan apply --verify on a service that does not converge', () => {
  // Someone else edits the task between the apply's writes and the re-plan of --verify.
  const race = { armed: false, lists: 0, taskId: '' };
  const emulator = useEmulator({
    scheduler: false,
    onListPage: (page, remote) => {
      if (!race.armed || page.offset !== 0) return;
      race.lists++;
      if (race.lists === 2) remote.updateTask(race.taskId, { objective: 'edited by someone else meanwhile' });
    },
  });

  it('exits 1 with the changes a new plan still has', async () => {
    const ws = createWorkspace();
    await applied(ws, emulator(), [classicTask('vf')]);
    race.taskId = (await lockOf(ws)).tasks.vf?.id as string;
    ws.writeManifests([classicTask('vf', 2)]);
    race.armed = true;
    const result = await titan(ws, emulator(), ['apply', '--auto-approve', '--verify']);
    expect(race.lists).toBe(2); // the plan's read, then the verification's
    expect(result.code, describeRun(result)).toBe(1);
    expect(result.stdout).toContain('Apply complete: 1 done (1 updated)');
    expect(result.stderr).toContain('Not converged: a new plan still has 1 change(s) (vf).');
    expect(result.stdout).toContain('edited by someone else meanwhile');
  });
});
