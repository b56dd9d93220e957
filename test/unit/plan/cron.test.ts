import { describe, expect, it } from 'vitest';
import { formatRunsPerDay, readSchedule, taskRunsPerDay } from '../../../src/core/plan/cron.js';

describe('schedules', () => {
  it.each([
    ['* * * * *', 'every minute', 1440],
    ['*/20 * * * *', 'every 20 minutes', 72],
    ['0 * * * *', 'every hour at :00', 24],
    ['15,45 * * * *', 'every hour at :15 and :45', 48],
    ['0 */6 * * *', 'every 6 hours at :00', 4],
    ['0 6 * * *', 'every day at 06:00 UTC', 1],
    ['30 6,18 * * *', 'every day at 06:30 and 18:30 UTC', 2],
    ['0 9 * * 1-5', 'at 09:00 UTC on weekdays', 0.71],
    ['0 9 * * MON', 'at 09:00 UTC on Mondays', 0.14],
    ['0 0 1 * *', 'at 00:00 UTC on day 1 of the month', 0.03],
    ['0 0 L * *', 'at 00:00 UTC on the last day of the month', 0.03],
    ['0 0 1 1 *', 'at 00:00 UTC on day 1 of the month in January', 0],
    ['0  *  * * *', 'every hour at :00', 24],
    ['7 1-23/2 * * *', 'cron "7 1-23/2 * * *" (UTC)', 12],
  ])('%s reads "%s", %d runs/day', (expression, reading, runs) => {
    expect(readSchedule(expression)).toMatchObject({ reading, runsPerDay: runs });
  });

  it('an invalid expression has no reading (validate reports it)', () => {
    expect(readSchedule('61 * * * *')).toBeUndefined();
  });

  it('single tasks do not run on their own', () => {
    expect(taskRunsPerDay({ execution_type: 'single', schedule: '* * * * *' })).toBe(0);
    expect(taskRunsPerDay({ execution_type: 'scheduled', schedule: '*/20 * * * *' })).toBe(72);
  });

  it('formats signed deltas', () => {
    expect(formatRunsPerDay(72, true)).toBe('+72');
    expect(formatRunsPerDay(-23.857, true)).toBe('-23.86');
    expect(formatRunsPerDay(0.1428)).toBe('0.14');
  });
});
