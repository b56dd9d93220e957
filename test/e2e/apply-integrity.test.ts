/**
 * Saved plans and apply's own conventions, end to end against an emulator: a saved plan applies without a prompt,
 * `--replace --verify` converges.
 */
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
});
