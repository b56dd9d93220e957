/**
 * Saved plans and apply's own conventions, end to end against an emulator: a saved plan applies without a prompt,
 * `--replace --verify` converges.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLockfile } from '../../src/io/lockfile.js';
import { useEmulator } from '../helpers/emulator.js';
import {
  applyInProcess,
  classicTask,
  createWorkspace,
  describeRun,
  titan,
  writeCount,
} from './apply-support.js';

describe('apply conventions', () => {
  const emulator = useEmulator({ scheduler: false });

  it('titan apply PLAN applies the reviewed plan without asking, even without a terminal', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('sp1')]);
    expect((await titan(ws, emulator(), ['plan', '--out', 'plan.json'])).code).toBe(0);
    const result = await titan(ws, emulator(), ['apply', 'plan.json']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('1 done (1 created)');
    // A fresh apply still needs the confirmation.
    ws.writeManifests([classicTask('sp1', 2)]);
    const writes = writeCount(emulator());
    const fresh = await titan(ws, emulator(), ['apply']);
    expect(fresh.code).toBe(4);
    expect(writeCount(emulator())).toBe(writes);
  });

  it('apply --replace KEY --verify converges: the verification plan does not replace again', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('rv1'), classicTask('rv2')]);
    expect((await applyInProcess(ws, emulator())).code).toBe(0);
    const before = (await readLockfile(path.join(ws.dir, 'titan.lock')))?.tasks.rv1?.id;
    const result = await applyInProcess(ws, emulator(), { replace: ['rv1'], verify: true });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('Verified: a new plan has no changes.');
    const after = (await readLockfile(path.join(ws.dir, 'titan.lock')))?.tasks.rv1?.id;
    expect(after).not.toBe(before);

    // The same through a saved plan made with --replace.
    expect((await titan(ws, emulator(), ['plan', '--replace', 'rv2', '--out', 'plan.json'])).code).toBe(0);
    const saved = await titan(ws, emulator(), ['apply', 'plan.json', '--verify']);
    expect(saved.code, describeRun(saved)).toBe(0);
    expect(saved.stdout).toContain('Verified: a new plan has no changes.');
  });

  it('refuses a lockfile that records one task under two keys (a bad merge) until titan state rm repairs it', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('m1'), classicTask('m2')]);
    expect((await applyInProcess(ws, emulator())).code).toBe(0);
    const lockPath = path.join(ws.dir, 'titan.lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { tasks: Record<string, { id: string }> };
    const m1 = lock.tasks.m1?.id as string;
    (lock.tasks.m2 as { id: string }).id = m1;
    writeFileSync(lockPath, JSON.stringify(lock, null, 2));
    const writes = writeCount(emulator());

    const refused = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(refused.code, describeRun(refused)).toBe(3);
    expect(refused.stderr).toContain(`task ${m1} is recorded under 2 keys: m1, m2`);
    expect(refused.stderr).toContain('titan state rm KEY');
    expect((await titan(ws, emulator(), ['plan'])).code).toBe(3);
    expect(writeCount(emulator())).toBe(writes);

    const listed = await titan(ws, emulator(), ['state', 'list']);
    expect(listed.code, describeRun(listed)).toBe(0);
    expect(listed.stderr).toContain(`Warning: titan.lock: task ${m1} is recorded under 2 keys: m1, m2.`);
    expect((await titan(ws, emulator(), ['state', 'rm', 'm2'])).code).toBe(0);
    const plan = await titan(ws, emulator(), ['plan']);
    expect(plan.code, describeRun(plan)).toBe(0);
  });

  it('a damaged journal is reported, moved aside and never folded into titan.lock; a torn last line is tolerated', async () => {
    const ws = createWorkspace();
    ws.writeManifests([classicTask('j1')]);
    expect((await applyInProcess(ws, emulator())).code).toBe(0);
    const lockPath = path.join(ws.dir, 'titan.lock');
    const lockBefore = readFileSync(lockPath, 'utf8');
    const stateDir = path.join(ws.dir, '.titan');
    const journal = path.join(stateDir, 'journal.ndjson');
    const begin = { t: 'begin', run: 'r', at: new Date().toISOString(), lineage: null, serial: 0 };
    const entry = { id: 'x1', digest: `sha256:${'0'.repeat(64)}`, file: 'tasks/j2.yaml', protect: false };
    writeFileSync(
      journal,
      `${JSON.stringify({ ...begin, origin: 12 })}\n${JSON.stringify({ t: 'lock', set: { j2: { ...entry, updated_at: 'never' } } })}\n`,
    );

    const plan = await titan(ws, emulator(), ['plan']);
    expect(plan.stderr).toContain(
      'the apply journal .titan/journal.ndjson is damaged (line 1: begin record: origin is not a string',
    );
    const refused = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(refused.code, describeRun(refused)).toBe(3);
    expect(refused.stderr).not.toContain('Internal error');
    expect(refused.stderr).toContain(
      'is damaged (line 1: begin record: origin is not a string; line 2: lock record: set.j2: updated_at',
    );
    expect(refused.stderr).toContain('titan.lock was not changed');
    expect(refused.stderr).toContain('Run titan plan and review it');
    expect(readFileSync(lockPath, 'utf8')).toBe(lockBefore);
    expect(existsSync(journal)).toBe(false);
    expect(readdirSync(stateDir).filter((f) => f.startsWith('journal.ndjson.corrupt-'))).toHaveLength(1);

    const again = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(readFileSync(lockPath, 'utf8')).toBe(lockBefore);

    // A crash mid-append leaves a torn last line: that is normal, and the rest of the journal is used.
    const lock = JSON.parse(lockBefore) as { lineage: string; serial: number };
    const intact = { ...begin, origin: emulator().url, lineage: lock.lineage, serial: lock.serial };
    writeFileSync(journal, `${JSON.stringify(intact)}\n{"t":"intent","n":1,"op":"cre`);
    const torn = await titan(ws, emulator(), ['apply', '--auto-approve']);
    expect(torn.code, describeRun(torn)).toBe(0);
    expect(torn.stderr).toContain('Ignored 1 unreadable line(s)');
    expect(existsSync(journal)).toBe(false);
  });
});
