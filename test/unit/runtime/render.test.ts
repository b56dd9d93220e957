import { describe, expect, it } from 'vitest';
import type { Execution } from '../../../src/core/service/types.js';
import {
  formatBytes,
  renderExecutionDetail,
  renderExecutionsTable,
  renderProgressEvent,
  renderProgressLine,
  renderTime,
} from '../../../src/render/runtime.js';
import { displayWidth, fitWidth, renderKeyValues, renderTable } from '../../../src/render/table.js';

const execution = (overrides: Partial<Execution> = {}): Execution => ({
  id: 'e-1',
  task_id: 't-1',
  status: 'running',
  created_at: '2025-01-01T00:01:00.123Z',
  started_at: '2025-01-01T00:01:02Z',
  finished_at: null,
  urls_total: 10,
  urls_done: 3,
  urls_failed: 0,
  error: null,
  ...overrides,
});

describe('renderTable', () => {
  const columns = [
    { header: 'NAME', value: (r: { name: string; n: number }) => r.name },
    { header: 'COUNT', value: (r: { name: string; n: number }) => String(r.n), align: 'right' as const },
    { header: 'NOTE', value: () => 'x' },
  ];

  it('aligns columns, right-aligns numbers and leaves no trailing spaces', () => {
    const text = renderTable(columns, [
      { name: 'alpha', n: 5 },
      { name: 'b', n: 1234 },
    ]);
    expect(text).toBe(['NAME   COUNT  NOTE', 'alpha      5  x', 'b       1234  x', ''].join('\n'));
  });

  it('cuts long cells, and measures width without colour codes', () => {
    const text = renderTable(
      [{ header: 'D', value: (r: string) => r, maxWidth: 5 }],
      ['abcdefgh', '\x1b[31mab\x1b[39m'],
    );
    expect(text.split('\n')).toEqual(['D', 'abcd…', '\x1b[31mab\x1b[39m', '']);
    expect(displayWidth('\x1b[1mhello\x1b[22m')).toBe(5);
    expect(fitWidth('\x1b[1mhello world\x1b[22m', 6)).toBe('hello…');
  });

  it('styles the header only when colour is on', () => {
    expect(renderTable(columns, [], { color: true })).toContain('\x1b[1m');
    expect(renderTable(columns, [])).not.toContain('\x1b');
  });

  it('renderKeyValues aligns values and skips absent ones', () => {
    expect(
      renderKeyValues([
        ['Id', 'x'],
        ['Long label', 'y'],
        ['Gone', undefined],
        ['Null', null],
      ]),
    ).toBe('Id:          x\nLong label:  y\n');
  });
});

describe('runtime renderings', () => {
  it('shows executions with keys where known and dashes where the service said nothing', () => {
    const text = renderExecutionsTable(
      [
        execution(),
        execution({
          id: 'e-2',
          task_id: 't-2',
          urls_total: undefined,
          urls_failed: undefined,
          status: 'queued',
        }),
      ],
      new Map([['t-1', 'prices']]),
    );
    const [header, first, second] = text.split('\n');
    expect(header).toMatch(/^EXECUTION\s+TASK\s+STATUS\s+URLS\s+FAILED\s+CREATED\s+FINISHED$/);
    expect(first).toMatch(/^e-1\s+prices\s+running\s+3\/10\s+0\s+2025-01-01 00:01:00Z\s+—$/);
    expect(second).toMatch(/^e-2\s+t-2\s+queued\s+—\s+—\s/);
    expect(renderExecutionsTable([])).toBe('No executions.\n');
  });

  it('details an execution, with its duration and error', () => {
    const text = renderExecutionDetail(
      execution({
        status: 'failed',
        finished_at: '2025-01-01T00:02:07Z',
        error: 'all URLs failed',
        urls_failed: 7,
      }),
      'prices',
    );
    expect(text).toContain('Task:       prices (t-1)\n');
    expect(text).toContain('URLs:       3/10 URLs, 7 failed\n');
    expect(text).toContain('Duration:   1m05s\n');
    expect(text).toContain('Error:      all URLs failed\n');
  });

  it('renders progress as a live line and as log events', () => {
    expect(renderProgressLine(execution({ urls_failed: 1 }), 42_000)).toBe(
      'running · 3/10 URLs, 1 failed · 0:42 · e-1',
    );
    expect(renderProgressLine(execution(), 0, { color: true })).toContain('\x1b[36mrunning\x1b[39m');
    expect(renderProgressEvent(execution({ status: 'queued', urls_done: 0 }), 3_000)).toBe(
      '[0:03] queued · 0/10 URLs',
    );
  });

  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1_500, '1.5 kB'],
    [23_400_000, '23 MB'],
    [2_000_000_000, '2.0 GB'],
  ])('formatBytes(%i) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('shortens ISO timestamps and passes others through', () => {
    expect(renderTime('2025-01-01T00:01:00.123456Z')).toBe('2025-01-01 00:01:00Z');
    expect(renderTime('2025-01-01T00:01:00+02:00')).toBe('2025-01-01 00:01:00+02:00');
    expect(renderTime('yesterday')).toBe('yesterday');
    expect(renderTime(null)).toBe('—');
  });
});
