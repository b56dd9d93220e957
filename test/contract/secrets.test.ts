/**
 * The token never shows: not in error messages, hints or stacks, not in the --debug trace, not when the client
 * is inspected. The trace itself: one line per request with method, path, status, duration and attempt — no
 * headers, no bodies.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, type Emulator } from '../../src/emulator/index.js';
import { createClient } from '../../src/io/api/client.js';
import type { ClientOptions, TaskServiceClient } from '../../src/core/service/types.js';
import { classicSpec, refusingOrigin, contractEmulator } from './harness.js';

const TOKEN = 'titan-SECRET-7f3a9c1e-do-not-print';
const WRONG_TOKEN = 'titan-WRONG-55aa77bb-do-not-print';
const READER_TOKEN = 'titan-READER-0c0ffee0-do-not-print';
const SECRETS = [TOKEN, WRONG_TOKEN, READER_TOKEN, 'run-time-secret-value'];

let emulator: Emulator;
let hanging: Emulator;
let dropping: Emulator;
const trace: string[] = [];
const surfaced: string[] = [];

const client = (target: Emulator, token: string, options: Partial<ClientOptions> = {}): TaskServiceClient =>
  createClient({ origin: target.url, token, trace: (line) => trace.push(line), ...options });

/** Runs a call that must fail and keeps every text the failure could show a user. */
async function failureOf(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const e = error as Error & { hint?: string };
  surfaced.push(
    e.message,
    e.hint ?? '',
    e.stack ?? '',
    String(e),
    inspect(e, { depth: 5 }),
    JSON.stringify(e),
  );
}

beforeAll(async () => {
  const tokens = [
    { token: TOKEN, scopes: [...ALL_SCOPES] },
    { token: READER_TOKEN, scopes: ['tasks:read'] },
  ];
  emulator = await contractEmulator({ tokens });
  hanging = await contractEmulator({ tokens, hangRate: 1 });
  dropping = await contractEmulator({ tokens, dropAfterCommit: 1 });
});
afterAll(async () => {
  await Promise.all([emulator.close(), hanging.close(), dropping.close()]);
});

describe('the token in failures and traces', () => {
  it('appears in no message, hint, stack or trace line, whatever fails', async () => {
    const ok = client(emulator, TOKEN);
    const task = await ok.createTask(classicSpec('secret-free'));
    await ok.runTask(task.id, { api_key: 'run-time-secret-value' });
    await failureOf(client(emulator, WRONG_TOKEN).listAllTasks()); // 401
    await failureOf(client(emulator, READER_TOKEN).createTask(classicSpec('x'))); // 403
    await failureOf(ok.createTask({ ...classicSpec('x'), urls: [`https://x.example/?t=${TOKEN}`, 'nope'] })); // 400
    await failureOf(ok.getTask('missing')); // 404
    await failureOf(client(hanging, TOKEN, { timeoutMs: 100 }).getTask(task.id)); // timeout
    await failureOf(client(hanging, TOKEN, { timeoutMs: 100 }).createTask(classicSpec('x'))); // ambiguous (timeout)
    await failureOf(client(dropping, TOKEN).createTask(classicSpec('x'))); // ambiguous (dropped)
    await failureOf(
      createClient({ origin: await refusingOrigin(), token: TOKEN, maxAttempts: 1 }).getTask('x'),
    ); // refused
    await failureOf(
      Promise.resolve().then(() => createClient({ origin: 'http://api.example', token: TOKEN })),
    ); // origin
    await failureOf(
      Promise.resolve().then(() => createClient({ origin: emulator.url, token: `${TOKEN} x` })),
    ); // shape

    expect(surfaced.length).toBeGreaterThan(50);
    expect(trace.length).toBeGreaterThan(5);
    const everything = [...surfaced, ...trace].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('Bearer');
    expect(everything).not.toMatch(/titan-(SECRET|WRONG|READER)/);
  });

  it('is not shown when the client itself is inspected or serialised', () => {
    const c = client(emulator, TOKEN);
    expect(inspect(c, { depth: Infinity, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(c)).not.toContain(TOKEN);
  });
});

describe('the --debug trace', () => {
  it('writes one line per request: method, path with query, status, duration, attempt — never bodies', async () => {
    const lines: string[] = [];
    const traced = createClient({ origin: emulator.url, token: TOKEN, trace: (line) => lines.push(line) });
    emulator.resetStats();
    const task = await traced.createTask({
      ...classicSpec('traced'),
      objective: 'a body that must stay private',
    });
    await traced.listAllTasks({ pageSize: 5 });
    await traced.getTask(task.id).catch(() => undefined);
    await traced.deleteTask(task.id);
    expect(lines).toHaveLength(emulator.stats().requests);
    expect(lines[0]).toMatch(/^POST \/api\/v1\/tasks 201 \d+ms attempt 1$/);
    expect(lines[1]).toMatch(/^GET \/api\/v1\/tasks\?limit=5&offset=0 200 \d+ms attempt 1$/);
    expect(lines.at(-1)).toMatch(new RegExp(`^DELETE /api/v1/tasks/${task.id} 200 \\d+ms attempt 1$`));
    expect(lines.join('\n')).not.toContain('private');
  });

  it('marks retries and failures in the trace', async () => {
    const lines: string[] = [];
    const traced = createClient({
      origin: hanging.url,
      token: TOKEN,
      timeoutMs: 100,
      trace: (line) => lines.push(line),
    });
    await traced.getTask('x').catch(() => undefined);
    expect(lines).toEqual([expect.stringMatching(/^GET \/api\/v1\/tasks\/x timeout \d+ms attempt 1$/)]);
    const refused: string[] = [];
    const unreachable = createClient({
      origin: await refusingOrigin(),
      token: TOKEN,
      maxAttempts: 2,
      backoff: { baseMs: 1, capMs: 1 },
      trace: (line) => refused.push(line),
    });
    await unreachable.getTask('x').catch(() => undefined);
    expect(refused).toEqual([
      expect.stringMatching(
        /^GET \/api\/v1\/tasks\/x error ECONNREFUSED \d+ms attempt 1 \(retry in \d+ms\)$/,
      ),
      expect.stringMatching(/^GET \/api\/v1\/tasks\/x error ECONNREFUSED \d+ms attempt 2$/),
    ]);
  });
});

describe('a short token', () => {
  it('is scrubbed where it stands alone, not letter by letter from the --debug trace', async () => {
    const short = await contractEmulator({ tokens: [{ token: 'a', scopes: [...ALL_SCOPES] }] });
    try {
      const lines: string[] = [];
      const traced = createClient({ origin: short.url, token: 'a', trace: (line) => lines.push(line) });
      const task = await traced.createTask(classicSpec('short-token'));
      await traced.getTask(task.id);
      expect(lines[0]).toMatch(/^POST \/api\/v1\/tasks 201 \d+ms attempt 1$/);
      expect(lines[1]).toMatch(new RegExp(`^GET /api/v1/tasks/${task.id} 200 \\d+ms attempt 1$`));
    } finally {
      await short.close();
    }
  });
});
