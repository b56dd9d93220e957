import { describe, expect, it } from 'vitest';
import { renderApplyReport, renderChangeLine, renderProgressLine } from '../../../src/render/apply-events.js';

describe('apply rendering', () => {
  it('one line per finished change, with a counter', () => {
    expect(renderChangeLine({ action: 'create', key: 'a', id: 't1', status: 'done' }, 1, 3)).toBe(
      '+ created a (t1) [1/3]',
    );
    expect(
      renderChangeLine({ action: 'move', key: 'b', fromKey: 'old', id: 't2', status: 'done' }, 2, 3),
    ).toBe('→ moved old → b (t2) [2/3]');
    expect(
      renderChangeLine(
        { action: 'update', key: 'c', id: 't3', status: 'failed', error: '400 BAD_REQUEST: x' },
        3,
        3,
      ),
    ).toBe('✗ failed to update c (t3): 400 BAD_REQUEST: x [3/3]');
    expect(
      renderChangeLine({ action: 'create', key: 'd', id: 't4', status: 'done', settled: true }, 1, 1),
    ).toContain('not sent twice');
  });

  it('a live progress bar', () => {
    expect(renderProgressLine({ done: 5, failed: 1, total: 12, elapsedMs: 7_000 }, 80)).toBe(
      'Applying [###############---------------] 6/12 · 1 failed · 0:07',
    );
  });

  it('a final report of done / failed / not attempted and what to do', () => {
    const text = renderApplyReport({
      results: [
        { action: 'create', key: 'a', id: 't1', status: 'done' },
        { action: 'delete', key: 'b', id: 't2', status: 'done' },
        {
          action: 'update',
          key: 'c',
          id: 't3',
          status: 'failed',
          error: '400 BAD_REQUEST: schedule: invalid cron',
        },
        { action: 'create', key: 'd', status: 'not-attempted' },
      ],
      durationMs: 2_400,
      unsettled: 1,
      lockfile: { path: 'titan.lock', serial: 4, changed: true },
    });
    expect(text).toBe(
      [
        'Apply failed: 2 done (1 created, 1 deleted), 1 failed, 1 not attempted in 2s.',
        '  ✗ update c (t3): 400 BAD_REQUEST: schedule: invalid cron',
        '  not attempted: create d',
        '  1 write(s) ended without an answer; they are recorded in the journal and the next titan apply settles them by looking the tasks up.',
        'titan.lock updated (serial 4); commit it.',
        'Every change that was made is recorded. Fix the cause and run titan apply again.',
        '',
      ].join('\n'),
    );
  });
});
