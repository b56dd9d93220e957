import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createsSettleAt,
  parseJournal,
  replayJournal,
  summarizePending,
  type IntentRecord,
  type JournalRecord,
} from '../../../src/core/lock/journal.js';
import type { LockEntry, Lockfile } from '../../../src/core/lock/model.js';
import { emptyLock, renderLockfile, setEntry } from '../../../src/core/lock/ops.js';
import { settlePendingIntents } from '../../../src/core/lock/settle.js';
import type { LiveTask, TaskSpec } from '../../../src/core/model.js';
import { appliedDigest } from '../../../src/core/plan/normalize.js';

const LINEAGE = '5f0c6f5e-3a4b-4c1d-9e8f-0123456789ab';
const base = (): Lockfile => emptyLock('https://api.example.com', LINEAGE);
const entry = (id: string, digest = `sha256:${'0'.repeat(64)}`): LockEntry => ({
  id,
  digest,
  updated_at: 't0',
  file: 'a.yaml',
  protect: false,
});

const keyArb = fc.constantFrom('a', 'b', 'c', 'd');
const recordArb: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc.record({
    t: fc.constant('lock' as const),
    set: fc.dictionary(
      keyArb,
      fc.string({ maxLength: 3 }).map((id) => entry(`t${id}`)),
    ),
  }),
  fc.record({ t: fc.constant('lock' as const), remove: fc.array(keyArb, { maxLength: 2 }) }),
  fc.record({
    t: fc.constant('done' as const),
    n: fc.nat(5),
    set: fc.dictionary(
      keyArb,
      fc.nat(9).map((id) => entry(`t${id}`)),
    ),
    remove: fc.array(keyArb, { maxLength: 1 }),
  }),
);

describe('replayJournal', () => {
  it('is idempotent: replaying onto a lock that already holds any prefix of the journal gives the same entries', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          keyArb,
          fc.nat(9).map((id) => entry(`s${id}`)),
        ),
        fc.array(recordArb, { maxLength: 12 }),
        fc.nat(12),
        (tasks, records, cut) => {
          const start = { ...base(), tasks };
          const full = replayJournal(start, records).lock;
          const partial = replayJournal(start, records.slice(0, Math.min(cut, records.length))).lock;
          expect(replayJournal(partial, records).lock.tasks).toEqual(full.tasks);
          expect(replayJournal(full, records).lock.tasks).toEqual(full.tasks);
        },
      ),
    );
  });

  it('reports intents without an outcome as pending', () => {
    const records: JournalRecord[] = [
      { t: 'begin', run: 'r', at: 'now', origin: 'o', lineage: LINEAGE, serial: 0 },
      { t: 'intent', n: 1, op: 'create', key: 'a', entry: { digest: 'd', file: 'f', protect: false } },
      { t: 'intent', n: 2, op: 'delete', key: 'b', id: 't2' },
      { t: 'done', n: 2, remove: ['b'] },
      {
        t: 'intent',
        n: 3,
        op: 'update',
        key: 'c',
        id: 't3',
        entry: { digest: 'd', file: 'f', protect: false },
      },
      { t: 'failed', n: 3, reason: 'refused' },
    ];
    const start = setEntry(base(), 'b', entry('t2'));
    const replay = replayJournal(start, records);
    expect(replay.pending.map((intent) => intent.n)).toEqual([1]);
    expect(replay.lock.tasks).toEqual({});
  });

  it('drops a torn last line', () => {
    const text = `${JSON.stringify({ t: 'lock', remove: ['a'] })}\n{"t":"intent","n":`;
    expect(parseJournal(text)).toEqual({ records: [{ t: 'lock', remove: ['a'] }], skipped: 1, corrupt: [] });
  });

  it('reports every other line that is not a valid record, without using it', () => {
    const begin = { t: 'begin', run: 'r', at: 'x', origin: 12, lineage: null, serial: 0 };
    const done = { t: 'done', n: 1, set: { a: { ...entry('t1'), updated_at: 'soon' } } };
    const text = [
      JSON.stringify(begin),
      '{"t":"lock"',
      JSON.stringify({ t: 'lock', remove: ['a'] }),
      JSON.stringify(done),
      JSON.stringify({ t: 'mystery' }),
      JSON.stringify({ t: 'intent', n: 2, op: 'create', key: 'b' }),
      '',
    ].join('\n');
    const parsed = parseJournal(text);
    expect(parsed.records).toEqual([{ t: 'lock', remove: ['a'] }]);
    expect(parsed.skipped).toBe(0);
    expect(parsed.corrupt).toEqual([
      { line: 1, problem: 'begin record: origin is not a string' },
      { line: 2, problem: 'not JSON (cut short or overwritten)' },
      { line: 4, problem: 'done record: set.a: updated_at is not an ISO-8601 timestamp' },
      { line: 5, problem: 'unknown record type "mystery"' },
      { line: 6, problem: 'intent record: a create needs an entry' },
    ]);
  });
});

describe('pending journal arithmetic', () => {
  const create = (n: number, at: string, windowMs: number): IntentRecord => ({
    t: 'intent',
    n,
    op: 'create',
    key: `k${n}`,
    entry: { digest: 'd', file: 'f', protect: false },
    at,
    windowMs,
  });

  it('counts unsettled writes and outcomes titan.lock does not show yet', () => {
    expect(
      summarizePending([
        { t: 'begin', run: 'r', at: 'now', origin: 'o', lineage: null, serial: 0 },
        create(1, 'x', 0),
        create(2, 'x', 0),
        { t: 'done', n: 1, set: { k1: entry('t1') } },
        { t: 'intent', n: 3, op: 'delete', key: 'z', id: 't9' },
        { t: 'failed', n: 3, reason: 'refused' },
        { t: 'lock', remove: ['y'] },
      ]),
    ).toEqual({ unsettled: 1, unrecorded: 2 });
  });

  it('says when every pending create has landed or never will: the latest window, capped, never in the past', () => {
    const now = Date.parse('2025-01-01T00:01:00Z');
    expect(createsSettleAt([create(1, '2025-01-01T00:00:50Z', 35_000)], now)).toBe(now + 25_000);
    expect(
      createsSettleAt(
        [create(1, '2025-01-01T00:00:50Z', 35_000), create(2, '2025-01-01T00:00:59Z', 35_000)],
        now,
      ),
    ).toBe(now + 34_000);
    expect(createsSettleAt([create(1, '2025-01-01T00:00:00Z', 35_000)], now)).toBeUndefined();
    // A clock set back after the crash counts from now; a window from a damaged line cannot exceed 10 minutes.
    expect(createsSettleAt([create(1, '2025-01-01T01:00:00Z', 5_000)], now)).toBe(now + 5_000);
    expect(createsSettleAt([create(1, '2025-01-01T00:01:00Z', 9e9)], now)).toBe(now + 600_000);
    // Updates and deletes are safe to repeat, and intents of older titans carry no time: no wait for them.
    expect(
      createsSettleAt(
        [
          { t: 'intent', n: 1, op: 'delete', key: 'a', id: 't', at: '2025-01-01T00:01:00Z', windowMs: 5_000 },
          { t: 'intent', n: 2, op: 'create', key: 'b' },
        ],
        now,
      ),
    ).toBeUndefined();
  });
});

const spec = (objective: string): TaskSpec => ({
  name: 'Prices',
  execution_type: 'single',
  urls: ['https://shop.example/p/1'],
  objective,
  output_schema: { type: 'object' },
});
const live = (id: string, s: TaskSpec, updated = 'u1'): LiveTask => ({
  id,
  status: 'active',
  created_at: 'c',
  updated_at: updated,
  name: s.name,
  spec: s,
});

describe('settlePendingIntents', () => {
  const planned = (s: TaskSpec) => ({ digest: appliedDigest(s), file: 'a.yaml', protect: false });

  it('records a lost create found on the service, and only an unmanaged, unclaimed twin', () => {
    const wanted = spec('x');
    const lock = setEntry(base(), 'managed', entry('t-managed'));
    const result = settlePendingIntents(
      [
        { t: 'intent', n: 1, op: 'create', key: 'a', entry: planned(wanted) },
        { t: 'intent', n: 2, op: 'create', key: 'b', entry: planned(wanted) },
        { t: 'intent', n: 3, op: 'create', key: 'c', entry: planned(spec('never made')) },
      ],
      lock,
      [live('t-managed', wanted), live('t-new', wanted, 'u9')],
    );
    expect(result.ops.set).toEqual({ a: { ...planned(wanted), id: 't-new', updated_at: 'u9' } });
    expect(result.notes.join('\n')).toMatch(/create of b: not on the service/);
    expect(result.notes.join('\n')).toMatch(/create of c: not on the service/);
  });

  it('records an update only when the task holds the intended spec, and a delete only when it is gone', () => {
    const lock = setEntry(
      setEntry(setEntry(base(), 'u1', entry('t1')), 'u2', entry('t2')),
      'd1',
      entry('t3'),
    );
    const result = settlePendingIntents(
      [
        { t: 'intent', n: 1, op: 'update', key: 'u1', id: 't1', entry: planned(spec('new')) },
        { t: 'intent', n: 2, op: 'update', key: 'u2', id: 't2', entry: planned(spec('new')) },
        { t: 'intent', n: 3, op: 'delete', key: 'd1', id: 't3' },
      ],
      lock,
      [live('t1', spec('new'), 'u5'), live('t2', spec('old'))],
    );
    expect(result.ops).toEqual({
      set: { u1: { ...planned(spec('new')), id: 't1', updated_at: 'u5' } },
      remove: ['d1'],
    });
  });

  it('moves the entry when the update was part of a rename', () => {
    const lock = setEntry(base(), 'old-name', entry('t1'));
    const result = settlePendingIntents(
      [
        {
          t: 'intent',
          n: 1,
          op: 'update',
          key: 'new-name',
          id: 't1',
          entry: planned(spec('new')),
          fromKey: 'old-name',
        },
      ],
      lock,
      [live('t1', spec('new'))],
    );
    expect(Object.keys(result.ops.set ?? {})).toEqual(['new-name']);
    expect(result.ops.remove).toEqual(['old-name']);
  });
});

describe('renderLockfile', () => {
  it('puts one task per entry under sorted keys', () => {
    const text = renderLockfile(setEntry(setEntry(base(), 'b', entry('t2')), 'a', entry('t1')));
    expect(text.indexOf('"a": {')).toBeLessThan(text.indexOf('"b": {'));
  });
});
