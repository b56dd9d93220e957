/**
 * `titan plan` and `titan drift` end to end: the built CLI against the emulator in every list variant, with live
 * state seeded over HTTP and a lockfile written by hand. Run `npm run build` first.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import planSchema from '../../schemas/plan.schema.json' with { type: 'json' };
import type { JsonObject } from '../../src/core/json.js';
import type { Lockfile, LockEntry } from '../../src/core/lock/model.js';
import type { TaskSpec } from '../../src/core/model.js';
import type { Plan } from '../../src/core/plan/model.js';
import { appliedDigest } from '../../src/core/plan/normalize.js';
import { createBodyFromSpec } from '../../src/core/task-body.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../helpers/emulator.js';
import { cleanEnv, describeRun, runTitan, type CliResult } from './examples-cli.js';

const LINEAGE = '0b5e2f7a-1c1d-4e4e-9a9a-000000000042';

const taskSpec = (name: string, overrides: Partial<TaskSpec> = {}): TaskSpec => ({
  name,
  execution_type: 'single',
  urls: [`https://shop.example/${name.toLowerCase().replace(/\W+/g, '-')}`],
  objective: `Extract the ${name} details`,
  output_schema: { type: 'object', properties: { title: { type: 'string' }, price: { type: 'number' } } },
  ...overrides,
});

/** One manifest document; the spec is written as JSON, which is YAML too. */
function manifest(key: string, spec: TaskSpec, metadata: JsonObject = {}): string {
  return [
    'apiVersion: titan/v1',
    'kind: Task',
    `metadata: ${JSON.stringify({ name: key, ...metadata })}`,
    `spec: ${JSON.stringify(spec)}`,
    '',
  ].join('\n');
}

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'titan-plan-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function api(emulator: Emulator, method: string, route: string, body?: unknown): Promise<JsonObject> {
  const response = await fetch(`${emulator.url}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${emulator.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as { success: boolean; data: JsonObject };
  if (!response.ok || !answer.success)
    throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(answer)}`);
  return answer.data;
}

/** Creates a task over HTTP; resolves its id and updated_at. */
async function seed(emulator: Emulator, spec: TaskSpec): Promise<{ id: string; updated_at: string }> {
  const task = await api(emulator, 'POST', '/tasks', createBodyFromSpec(spec));
  return { id: String(task.id), updated_at: String(task.updated_at) };
}

const lockEntry = (
  spec: TaskSpec,
  seeded: { id: string; updated_at: string },
  extra: Partial<LockEntry> = {},
): LockEntry => ({
  id: seeded.id,
  digest: appliedDigest(spec),
  updated_at: seeded.updated_at,
  file: 'tasks.yaml',
  protect: false,
  ...extra,
});

function writeLock(dir: string, origin: string, tasks: Record<string, LockEntry>): void {
  const lock: Lockfile = { version: 1, lineage: LINEAGE, serial: 7, origin, tasks };
  writeFileSync(path.join(dir, 'titan.lock'), `${JSON.stringify(lock, null, 2)}\n`);
}

const plan = (
  emulator: Emulator,
  dir: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> =>
  runTitan(['plan', ...args], {
    cwd: dir,
    env: cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token, ...env }),
  });

const decisions = (p: Plan): string[] =>
  p.changes.map(
    (c) => `${c.action} ${c.key}${c.from_key ? ` from ${c.from_key}` : ''}${c.vanished ? ' (vanished)' : ''}`,
  );

describe.each([
  { listItems: 'full', listDeleted: false },
  { listItems: 'full', listDeleted: true },
  { listItems: 'summary', listDeleted: false },
  { listItems: 'summary', listDeleted: true },
] as const)('titan plan against list items $listItems, deleted listed: $listDeleted', (variant) => {
  let emulator: Emulator;
  let dir: string;
  beforeAll(async () => {
    emulator = await startEmulator({ ...variant, scheduler: false } satisfies EmulatorOptions);
    const keep = taskSpec('Keep');
    const edit = taskSpec('Edit');
    const gone = taskSpec('Gone');
    const renamed = taskSpec('Renamed');
    const twin = taskSpec('Twin');
    const lost = taskSpec('Lost');
    const fresh = taskSpec('Fresh');
    const seeded = {
      keep: await seed(emulator, keep),
      edit: await seed(emulator, edit),
      gone: await seed(emulator, gone),
      renamed: await seed(emulator, renamed),
      lost: await seed(emulator, lost),
    };
    await seed(emulator, twin); // unmanaged, equal to its manifest: adopted
    await seed(emulator, taskSpec('Someone else')); // unmanaged: counted
    const deletedTwin = await seed(emulator, fresh); // equal to a manifest, but deleted: never adopted
    await api(emulator, 'DELETE', `/tasks/${deletedTwin.id}`);
    await api(emulator, 'DELETE', `/tasks/${seeded.lost.id}`); // managed, deleted outside titan
    dir = workspace({
      'tasks.yaml': [
        manifest('keep', keep),
        manifest('edit', { ...edit, objective: 'Extract the Edit details, with currency' }),
        manifest('renamed', renamed, { previousNames: ['old-name'] }),
        manifest('twin', twin),
        manifest('lost', lost),
        manifest('fresh', fresh),
      ].join('---\n'),
    });
    writeLock(dir, emulator.url, {
      keep: lockEntry(keep, seeded.keep),
      edit: lockEntry(edit, seeded.edit),
      gone: lockEntry(gone, seeded.gone),
      'old-name': lockEntry(renamed, seeded.renamed),
      lost: lockEntry(lost, seeded.lost),
    });
    emulator.resetStats();
  });
  afterAll(() => emulator.close());

  it('plans every action from one listing, reading full tasks only where needed', async () => {
    const result = await plan(emulator, dir, ['--format', 'json', '--allow-mass-delete']);
    expect(result.code, describeRun(result)).toBe(0);
    const p = JSON.parse(result.stdout) as Plan;
    expect(decisions(p)).toEqual([
      'update edit',
      'create fresh',
      'delete gone',
      'noop keep',
      'create lost (vanished)',
      'move renamed from old-name',
      'adopt twin',
    ]);
    expect(p.unmanaged).toBe(1);
    expect(p.lock).toEqual({ lineage: LINEAGE, serial: 7 });
    expect(p.changes.find((c) => c.key === 'edit')?.fields.map((f) => f.field)).toEqual(['objective']);
    const stats = emulator.stats().byRoute;
    expect(stats['GET /api/v1/tasks']).toBeLessThanOrEqual(2);
    // summaries: the edited task (to diff it) and the adoption candidate; full items: nothing
    expect(stats['GET /api/v1/tasks/:id'] ?? 0).toBe(variant.listItems === 'summary' ? 2 : 0);
    expect(Object.keys(stats).filter((route) => !route.startsWith('GET '))).toEqual([]);
  });

  it('exits 2 with --detailed-exitcode and prints the text plan', async () => {
    const result = await plan(emulator, dir, ['--detailed-exitcode', '--allow-mass-delete']);
    expect(result.code, describeRun(result)).toBe(2);
    expect(result.stdout).toContain('<= adopt twin');
    expect(result.stdout).toContain('→ move old-name → renamed');
    expect(result.stdout).toContain(
      'Plan: 2 to create (1 vanished), 1 to update, 1 to delete, 1 to adopt, 1 to move',
    );
    expect(result.stdout).toContain('1 unchanged · 1 unmanaged task not shown; see `titan import`.');
  });
});

describe('titan plan options and outputs', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false });
  });
  afterAll(() => emulator.close());

  const secretTask = taskSpec('Partner sync', {
    objective: undefined,
    output_schema: undefined,
    action_type: 'api_call',
    input_source: 'static_urls',
    payload: { endpoint: 'https://partner.example/items', api_key: '${env:PARTNER_KEY}' },
  });

  it('saves a schema-valid JSON plan without sensitive values; markdown carries the marker', async () => {
    const dir = workspace({ 'sync.yaml': manifest('partner-sync', secretTask) });
    const env = { PARTNER_KEY: 'pk-live-123456' };
    const saved = await plan(emulator, dir, ['--out', 'plan.json', '--detailed-exitcode'], env);
    expect(saved.code, describeRun(saved)).toBe(2);
    expect(saved.stdout).toContain('(sensitive)');
    expect(saved.stdout + saved.stderr).not.toContain('pk-live-123456');
    const text = readFileSync(path.join(dir, 'plan.json'), 'utf8');
    expect(text).not.toContain('pk-live-123456');
    const validate = new Ajv2020({ strict: true }).compile(planSchema);
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(JSON.parse(text)).toMatchObject({
      manifests: { paths: ['.'], files: ['sync.yaml'] },
      origin: emulator.url,
    });
    const json = await plan(emulator, dir, ['--format', 'json'], env);
    expect(json.stdout).toBe(text);
    const markdown = await plan(emulator, dir, ['--format', 'markdown'], env);
    expect(markdown.stdout.startsWith('<!-- titan-plan -->\n')).toBe(true);
  });

  it('is byte-identical from one run to the next', async () => {
    const dir = workspace({
      'a.yaml': manifest('a', taskSpec('A', { execution_type: 'scheduled', schedule: '*/20 * * * *' })),
    });
    const one = await plan(emulator, dir, ['--format', 'markdown']);
    const two = await plan(emulator, dir, ['--format', 'markdown']);
    expect(one.stdout).toBe(two.stdout);
    expect(one.stdout).toContain('schedules +72 runs/day');
  });

  it('on GitHub Actions annotates destructive and breaking changes and writes the job summary', async () => {
    const before = taskSpec('Schema');
    const seeded = await seed(emulator, before);
    const old = await seed(emulator, taskSpec('Old'));
    const after = { ...before, output_schema: { type: 'object', properties: { title: { type: 'string' } } } };
    const dir = workspace({
      'tasks.yaml': manifest('schema', after) + '---\n' + manifest('keep', taskSpec('Keep')),
    });
    writeLock(dir, emulator.url, {
      schema: lockEntry(before, seeded),
      old: lockEntry(taskSpec('Old'), old, { file: 'old.yaml' }),
    });
    const summaryFile = path.join(dir, 'summary.md');
    const result = await plan(emulator, dir, [], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
    });
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stderr).toContain(
      '::warning file=old.yaml,title=titan plan deletes old::titan plan deletes task old',
    );
    expect(result.stderr).toContain(
      // `spec:` is one flow mapping on line 4 of the document; the warning is on it, not on line 1.
      '::warning file=tasks.yaml,line=4,title=Breaking output_schema change in schema::property `price` removed',
    );
    expect(result.stdout).toContain('output_schema   BREAKING  tasks.yaml:4\n');
    const summary = readFileSync(summaryFile, 'utf8');
    expect(summary).toContain('<!-- titan-plan -->');
    expect(summary).toContain(
      '**breaking output_schema** in <code>schema</code> at <code>tasks.yaml\\:4</code>: property \\`price\\` removed',
    );
  });

  it('refuses (exit 4) to delete a protected task even after its manifest is removed, and saves nothing', async () => {
    const guarded = await seed(emulator, taskSpec('Guarded'));
    const dir = workspace({ 'keep.yaml': manifest('keep', taskSpec('Keep')) });
    writeLock(dir, emulator.url, { guarded: lockEntry(taskSpec('Guarded'), guarded, { protect: true }) });
    const result = await plan(emulator, dir, ['--out', 'plan.json', '--allow-mass-delete']);
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stdout).toContain('- delete guarded');
    expect(result.stderr).toContain(`Refusing to delete protected task: guarded (${guarded.id}).`);
    expect(result.stderr).toContain('set protect: false');
    expect(existsSync(path.join(dir, 'plan.json'))).toBe(false);
  });

  it('refuses a mass delete without --allow-mass-delete', async () => {
    const tasks: Record<string, LockEntry> = {};
    for (let i = 0; i < 3; i += 1)
      tasks[`t-${i}`] = lockEntry(taskSpec(`T${i}`), await seed(emulator, taskSpec(`T${i}`)));
    const dir = workspace({});
    writeLock(dir, emulator.url, tasks);
    const refused = await plan(emulator, dir);
    expect(refused.code, describeRun(refused)).toBe(4);
    expect(refused.stderr).toContain(
      'Refusing to delete every managed task (3): the plan would empty the workspace.',
    );
    expect(refused.stderr).toContain('--allow-mass-delete');
    const allowed = await plan(emulator, dir, ['--allow-mass-delete', '--detailed-exitcode']);
    expect(allowed.code, describeRun(allowed)).toBe(2);
  });

  it('limits the plan with --target and says so', async () => {
    const dir = workspace({
      'tasks.yaml':
        manifest('a', taskSpec('A'), { labels: { team: 'pricing' } }) +
        '---\n' +
        manifest('b', taskSpec('B')),
    });
    const result = await plan(emulator, dir, ['--target', 'label:team=pricing']);
    expect(result.code, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('+ create a');
    expect(result.stdout).not.toContain('create b');
    expect(result.stdout).toContain('Plan: 1 to create · targeted: label:team=pricing');
  });

  it('invalid manifests: diagnostics on stderr, exit 3, nothing read from the service', async () => {
    const dir = workspace({
      'bad.yaml': 'apiVersion: titan/v1\nkind: Task\nmetadata: {name: bad}\nspec: {name: x}\n',
    });
    emulator.resetStats();
    const result = await plan(emulator, dir);
    expect(result.code, describeRun(result)).toBe(3);
    expect(result.stderr).toContain('bad.yaml');
    expect(result.stdout).toBe('');
    expect(emulator.stats().requests).toBe(0);
  });

  it('refuses a lockfile recorded for another origin (exit 4)', async () => {
    const dir = workspace({ 'a.yaml': manifest('a', taskSpec('A')) });
    writeLock(dir, 'https://api.elsewhere.example', {});
    const result = await plan(emulator, dir);
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr).toContain('belongs to https://api.elsewhere.example');
  });

  it('a failed read fails the plan (exit 1) and prints no plan', async () => {
    const readless = await startEmulator({
      scheduler: false,
      tokens: [{ token: 'no-read-scope', scopes: ['executions:read'] }],
    });
    try {
      const dir = workspace({ 'a.yaml': manifest('a', taskSpec('A')) });
      const result = await runTitan(['plan'], {
        cwd: dir,
        env: cleanEnv({ TITAN_API_URL: readless.url, TITAN_TOKEN: 'no-read-scope' }),
      });
      expect(result.code, describeRun(result)).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).not.toContain('no-read-scope');
    } finally {
      await readless.close();
    }
  });
});

describe('titan drift', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ scheduler: false, listItems: 'summary' });
  });
  afterAll(() => emulator.close());

  it('exits 0 when live matches what titan applied, 2 with the drifted fields or a vanished task', async () => {
    const a = taskSpec('Drift A', { proxy_locations: ['US'] });
    const b = taskSpec('Drift B');
    const seededA = await seed(emulator, a);
    const seededB = await seed(emulator, b);
    const dir = workspace({ 'tasks.yaml': manifest('a', a) + '---\n' + manifest('b', b) });
    writeLock(dir, emulator.url, { a: lockEntry(a, seededA), b: lockEntry(b, seededB) });
    const env = cleanEnv({ TITAN_API_URL: emulator.url, TITAN_TOKEN: emulator.token });

    const clean = await runTitan(['drift'], { cwd: dir, env });
    expect(clean.code, describeRun(clean)).toBe(0);
    expect(clean.stdout).toBe('No drift: 2 managed tasks match what titan last applied.\n');

    await api(emulator, 'PATCH', `/tasks/${seededA.id}`, { proxy_locations: ['US', 'FR'] });
    await api(emulator, 'DELETE', `/tasks/${seededB.id}`);
    const drifted = await runTitan(['drift'], { cwd: dir, env });
    expect(drifted.code, describeRun(drifted)).toBe(2);
    expect(drifted.stdout).toContain(`~ drifted a (${seededA.id})`);
    expect(drifted.stdout).toContain('proxy_locations manifest ["US"] · live ["US", "FR"]');
    expect(drifted.stdout).toContain(`! vanished b (${seededB.id})`);
    expect(drifted.stdout).toContain('Drift: 1 changed outside titan, 1 vanished (of 2 managed tasks).');

    const json = await runTitan(['drift', '--format', 'json'], { cwd: dir, env });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      managed: 2,
      drifted: [
        {
          key: 'a',
          id: seededA.id,
          source: 'tasks.yaml:1',
          fields: [{ field: 'proxy_locations', manifest: ['US'], live: ['US', 'FR'], sensitive: false }],
        },
      ],
      vanished: [{ key: 'b', id: seededB.id, source: 'tasks.yaml:6' }],
      sensitive: [],
    });
  });

  it('reports a sensitive value changed on the service, which the lock digest cannot see, without showing it', async () => {
    const withKey = (key: string): TaskSpec =>
      taskSpec('Partner feed', {
        objective: undefined,
        output_schema: undefined,
        action_type: 'api_call',
        input_source: 'static_urls',
        payload: { endpoint: 'https://partner.example/items', api_key: key },
      });
    const applied = withKey('pk-live-111111');
    const seeded = await seed(emulator, applied);
    const dir = workspace({ 'feed.yaml': manifest('feed', withKey('${env:PARTNER_KEY}')) });
    writeLock(dir, emulator.url, {
      feed: {
        ...lockEntry(applied, seeded, { sensitive: ['/payload/api_key'] }),
        digest: appliedDigest(applied, ['/payload/api_key']),
      },
    });
    const env = cleanEnv({
      TITAN_API_URL: emulator.url,
      TITAN_TOKEN: emulator.token,
      PARTNER_KEY: 'pk-live-111111',
    });
    const clean = await runTitan(['drift'], { cwd: dir, env });
    expect(clean.code, describeRun(clean)).toBe(0);

    await api(emulator, 'PATCH', `/tasks/${seeded.id}`, {
      payload: { endpoint: 'https://partner.example/items', api_key: 'pk-live-222222' },
    });
    const changed = await runTitan(['drift'], { cwd: dir, env });
    expect(changed.code, describeRun(changed)).toBe(2);
    expect(changed.stdout).toContain(`? sensitive feed (${seeded.id})`);
    expect(changed.stdout).toContain('/payload/api_key');
    expect(changed.stdout + changed.stderr).not.toContain('pk-live-');
    const json = await runTitan(['drift', '--format', 'json'], { cwd: dir, env });
    expect(JSON.parse(json.stdout)).toMatchObject({
      sensitive: [{ key: 'feed', id: seeded.id, paths: ['/payload/api_key'] }],
    });
  });
});
