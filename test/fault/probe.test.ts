import { it } from 'vitest';
import { createEmulator } from '../../src/emulator/index.js';
import { applyInProcess, classicTask, createWorkspace } from '../e2e/apply-support.js';
import { createClient } from '../../src/io/api/client.js';
it('probe', async () => {
  const emulator = await createEmulator({ quiet: true, port: 0, scheduler: false, faultRate: 0.2, throttleRate: 0.015, dropAfterCommit: 0.1 });
  const ws = createWorkspace('titan-fault-', true);
  ws.writeManifests(Array.from({ length: 300 }, (_, i) => classicTask(`t${String(i + 1).padStart(3, '0')}`)));
  const t0 = Date.now();
  const lines: string[] = [];
  const client = createClient({ origin: emulator.url, token: emulator.token, trace: (l) => lines.push(`${Date.now() - t0} ${l}`) });
  const r = await applyInProcess(ws, emulator, {}, client);
  console.log(r.code, Date.now() - t0);
  const gets = lines.filter((l) => l.includes('GET'));
  console.log('lines', lines.length, 'gets', gets.length);
  (await import('node:fs')).writeFileSync('/tmp/trace.txt', lines.join('\n'));
  await emulator.close();
}, 120000);
