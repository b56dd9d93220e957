import { describe, expect, it } from 'vitest';
import { checkCron } from '../../../src/core/manifest/cron.js';

describe('schedules', () => {
  it.each([
    '0 * * * *',
    '*/15 * * * *',
    '30 6 * * MON-FRI',
    '0 0 29 2 *',
    '0 0 1 JAN,JUL *',
    '  5 4 * * 0  ',
  ])('%s is valid', (cron) => {
    expect(checkCron(cron)).toBeUndefined();
  });

  it.each([
    ['61 * * * *', 'minute', 0],
    ['0 24 * * *', 'hour', 2],
    ['0 0 0 * *', 'day-of-month', 4],
    ['0 0 1 13 *', 'month', 6],
    ['0 0 * * 8', 'day-of-week', 8],
    ['0 0 * * FUNDAY', 'day-of-week', 8],
    ['*/0 * * * *', 'minute', 0],
  ])('%s names the %s field', (cron, field, offset) => {
    const problem = checkCron(cron);
    expect(problem?.message).toContain(`the ${field} field`);
    expect(problem?.offset).toBe(offset);
  });

  it.each([
    ['0 0 1 JANX *', '"JANX"', '1X'],
    ['0 0 * * MONX', '"MONX"', '1X'],
    ['0 0 1 FEB-14 *', '"FEB-14"', undefined],
  ])('%s is described in the text the user wrote', (cron, shown, translated) => {
    const message = checkCron(cron)?.message ?? '';
    expect(message).toContain(shown);
    if (translated) expect(message).not.toContain(translated);
  });

  it('refuses seconds, macros, too few fields and empty schedules', () => {
    expect(checkCron('0 0 * * * *')?.message).toContain('without seconds');
    expect(checkCron('@daily')?.hint).toBe('write "0 0 * * *"');
    expect(checkCron('0 0 * *')?.message).toContain('has 4 fields');
    expect(checkCron('   ')?.message).toContain('empty');
  });

  it('explains a day that never comes', () => {
    expect(checkCron('0 0 30 2 *')?.message).toContain('never occurs');
  });

  it('never quotes a sensitive schedule', () => {
    const problem = checkCron('0 99 * * *', true);
    expect(problem?.message).toContain('the hour field (sensitive)');
    expect(problem?.message).not.toContain('99');
  });
});
