import { describe, expect, it } from 'vitest';
import {
  formatRunsPerDay,
  readSchedule,
  runsPerDayText,
  taskRunsPerDay,
} from '../../../src/core/plan/cron.js';

/** Days in the 400-year Gregorian cycle. */
const CYCLE = 146_097;

describe('schedules', () => {
  it.each([
    ['* * * * *', 'every minute', 1440],
    ['*/20 * * * *', 'every 20 minutes', 72],
    ['0 * * * *', 'every hour at :00', 24],
    ['15,45 * * * *', 'every hour at :15 and :45', 48],
    ['0 */6 * * *', 'every 6 hours at :00', 4],
    ['0 6 * * *', 'every day at 06:00 UTC', 1],
    ['30 6,18 * * *', 'every day at 06:30 and 18:30 UTC', 2],
    ['0 9 * * 1-5', 'at 09:00 UTC on weekdays', 5 / 7],
    ['0 9 * * MON', 'at 09:00 UTC on Mondays', 1 / 7],
    ['0 9 * * SUN', 'at 09:00 UTC on Sundays', 1 / 7],
    ['0 0 1 * *', 'at 00:00 UTC on day 1 of the month', 4800 / CYCLE],
    ['0 0 L * *', 'at 00:00 UTC on the last day of the month', 4800 / CYCLE],
    ['0 0 * * 5#2', 'cron "0 0 * * 5#2" (UTC)', 4800 / CYCLE],
    ['0 0 1 1 *', 'at 00:00 UTC on day 1 of the month in January', 400 / CYCLE],
    ['0 0 29 2 *', 'at 00:00 UTC on day 29 of the month in February', 97 / CYCLE],
    ['0  *  * * *', 'every hour at :00', 24],
    ['7 1-23/2 * * *', 'cron "7 1-23/2 * * *" (UTC)', 12],
  ])('%s reads "%s", %d runs/day', (expression, reading, runs) => {
    const read = readSchedule(expression);
    expect(read?.reading).toBe(reading);
    expect(read?.runsPerDay).toBeCloseTo(runs, 9);
  });

  it('every weekday weighs the same (a weekly run is 1/7 a day whatever its day)', () => {
    const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'].map(
      (day) => readSchedule(`0 9 * * ${day}`)?.runsPerDay,
    );
    expect(new Set(days)).toEqual(new Set([1 / 7]));
  });

  it('counts days of the month OR weekdays when both are restricted, like cron', () => {
    // 4,800 firsts of a month + 20,871 Mondays − 684 firsts that are Mondays.
    expect((readSchedule('0 0 1 * 1')?.runsPerDay ?? 0) * CYCLE).toBeCloseTo(24_987, 6);
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
    expect(formatRunsPerDay(0)).toBe('0');
  });

  it('shows a rare schedule as <0.01 rather than 0, and says "1 run/day"', () => {
    expect(formatRunsPerDay(97 / CYCLE)).toBe('<0.01');
    expect(formatRunsPerDay(-97 / CYCLE, true)).toBe('-<0.01');
    expect(runsPerDayText(97 / CYCLE, true)).toBe('+<0.01 runs/day');
    expect(runsPerDayText(1)).toBe('1 run/day');
    expect(runsPerDayText(-1, true)).toBe('-1 run/day');
    expect(runsPerDayText(1 / 7)).toBe('0.14 runs/day');
    expect(runsPerDayText(24, true)).toBe('+24 runs/day');
  });
});
