/**
 * Large workspaces are checked on worker threads (`dist/manifest-worker.js`, built by `npm run build` before the
 * suite). What users see must not depend on it: the same tasks, diagnostics (cross-file ones included), files and
 * sources with and without workers, and when a worker dies.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests, type LoadedManifests } from '../../../src/io/manifests.js';

const WORKER = path.resolve(__dirname, '../../../dist/manifest-worker.js');
let dir: string;
let inThread: LoadedManifests;

const write = (relative: string, text: string): void => {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};

const INLINE_SCHEMA = [
  '',
  '    type: object',
  '    properties:',
  '      product_name: { type: string }',
  '      price: { type: number, minimum: 0 }',
  '      currency: { type: string, pattern: "^[A-Z]{3}$" }',
  '    required: [product_name, price]',
].join('\n');

const task = (name: string, extra = '', schema = INLINE_SCHEMA): string =>
  [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    `  name: ${name}`,
    '  labels: { team: pricing }',
    'spec:',
    '  execution_type: scheduled',
    `  schedule: "${name.length % 60} 6 * * 1-5"`,
    '  urls: [https://shop.example/p/1, https://shop.example/p/2]',
    `  objective: Extract the price, currency and stock of every product on the page for ${name}; ignore ads.`,
    `  output_schema:${schema}`,
    extra,
  ].join('\n');

/** ~1.3 MB in 26 files, with a problem of every cross-file kind. */
function writeWorkspace(): void {
  for (let f = 0; f < 24; f++) {
    const docs = Array.from({ length: 90 }, (_, i) => task(`t-${f}-${i}`));
    if (f === 3) docs.push(task('shared-bad', '', ' { $ref: ../schemas/broken.yaml }'));
    if (f === 17) docs.push(task('shared-bad-too', '', ' { $ref: ../schemas/broken.yaml }'));
    if (f === 5) docs.push(task('t-9-9')); // the same key as a task of another file
    if (f === 8) docs.push(task('bad-cron').replace(/schedule: ".*"/, 'schedule: "61 * * * *"'));
    if (f === 11) docs.push(task('with-secret', '  payload: { token: "${env:TITAN_TEST_SECRET}" }'));
    if (f === 20) docs.push(task('good-ref', '', ' { $ref: ../schemas/product.yaml }'));
    write(`tasks/file-${String(f).padStart(2, '0')}.yaml`, docs.join('\n---\n'));
  }
  write('tasks/broken-yaml.yaml', `${task('broken')}\n  urls: [unclosed\n`);
  write('tasks/notes.yaml', 'just: some notes\n');
  write('schemas/broken.yaml', 'type: object\nproperties: { a: { type: strin } }\n');
  write('schemas/product.yaml', 'type: object\nproperties: { price: { type: number } }\n');
}

const load = (worker?: URL): Promise<LoadedManifests> =>
  loadManifests(['tasks'], {
    cwd: dir,
    env: { TITAN_TEST_SECRET: 's3cret' },
    workspaceRoot: dir,
    // Two threads whatever this machine has: the main thread and one worker.
    ...(worker ? { worker, maxThreads: 2 } : {}),
  });

beforeAll(async () => {
  if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build first`);
  dir = mkdtempSync(path.join(tmpdir(), 'titan-threads-'));
  writeWorkspace();
  inThread = await load();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checking on worker threads', () => {
  it('the workspace holds every kind of finding, so the comparison means something', () => {
    const codes = new Set(inThread.diagnostics.map((d) => d.code));
    expect(inThread.tasks.length).toBeGreaterThan(2000);
    expect(codes.size).toBeGreaterThanOrEqual(4);
    expect(inThread.diagnostics.some((d) => d.message.includes('used by'))).toBe(true);
    expect(inThread.sources.has(path.join('schemas', 'broken.yaml'))).toBe(true);
  });

  it('finds exactly what one thread finds', async () => {
    // The real worker, counting the files it is handed into a marker file.
    const marker = path.join(dir, 'worker-files.txt');
    const counting = path.join(dir, 'counting-worker.mjs');
    writeFileSync(
      counting,
      [
        'import { appendFileSync } from "node:fs";',
        'import { parentPort } from "node:worker_threads";',
        `parentPort.on("message", () => appendFileSync(${JSON.stringify(marker)}, "x"));`,
        `await import(${JSON.stringify(pathToFileURL(WORKER).href)});`,
      ].join('\n'),
    );
    expect(await load(pathToFileURL(counting))).toEqual(inThread);
    expect(readFileSync(marker, 'utf8').length).toBeGreaterThan(0);
  }, 60_000);

  it.each([
    ['at start', 'throw new Error("no start");'],
    [
      'holding files',
      'import { parentPort } from "node:worker_threads";\nparentPort.postMessage("ready");\nparentPort.on("message", () => { throw new Error("died"); });',
    ],
  ])(
    'checks the files of a worker that dies %s on this thread instead',
    async (_, script) => {
      const dying = path.join(dir, 'dying-worker.mjs');
      writeFileSync(dying, `${script}\n`);
      expect(await load(pathToFileURL(dying))).toEqual(inThread);
    },
    60_000,
  );
});
