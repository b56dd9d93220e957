/**
 * Schedules as a reviewer reads them: a human reading ("every hour at :00") and runs per day. Pure and
 * deterministic: runs/day never looks at the clock; it is the number of runs in the fixed UTC year 2023 (a
 * non-leap year starting on a Sunday) divided by 365, so weekly and monthly schedules get their true average
 * (a weekly run is 0.14/day) instead of a 0 or 1 that depends on the day the plan was made.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { TaskSpec } from '../model.js';
import { normalizeSchedule } from './normalize.js';

export interface ScheduleReading {
  /** The expression, spacing normalised. */
  expression: string;
  /** "every hour at :00", "every day at 06:00 UTC", … or `cron "<expr>" (UTC)` when no simpler words fit. */
  reading: string;
  /** Average runs per day, rounded to 2 decimals. */
  runsPerDay: number;
}

const WINDOW_YEAR = 2023;
/** Parsing with a fixed current date keeps the parser off the clock (and is faster). */
const FIXED_NOW = new Date(Date.UTC(WINDOW_YEAR, 0, 1));
const WINDOW_DAYS = 365;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** The reading of a 5-field UTC cron expression; undefined when it does not parse (validate reports that). */
export function readSchedule(schedule: string): ScheduleReading | undefined {
  const expression = normalizeSchedule(schedule);
  let cron: CronExpression;
  try {
    cron = CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: FIXED_NOW });
  } catch {
    return undefined;
  }
  return { expression, reading: describe(cron, expression), runsPerDay: round2(runsPerDayOf(cron)) };
}

export type ScheduleReader = (schedule: string) => ScheduleReading | undefined;

/**
 * `readSchedule` with a cache, for one plan: parsing a cron expression costs a fraction of a millisecond, and
 * plans of thousands of tasks repeat the same few schedules.
 */
export function createScheduleReader(): ScheduleReader {
  const cache = new Map<string, ScheduleReading | undefined>();
  return (schedule) => {
    const key = normalizeSchedule(schedule);
    if (!cache.has(key)) cache.set(key, readSchedule(key));
    return cache.get(key);
  };
}

/** Scheduled runs per day of a task (0 for `single` tasks, which only run when asked). */
export function taskRunsPerDay(
  task: Pick<TaskSpec, 'execution_type' | 'schedule'>,
  read: ScheduleReader = readSchedule,
): number {
  if (task.execution_type !== 'scheduled' || task.schedule === undefined) return 0;
  return read(task.schedule)?.runsPerDay ?? 0;
}

/** `24`, `0.14`, `+48` (with `signed`), `-24`. */
export function formatRunsPerDay(value: number, signed = false): string {
  const text = String(round2(value));
  return signed && value > 0 ? `+${text}` : text;
}

export const round2 = (value: number): number => Math.round(value * 100) / 100 + 0; // + 0 turns -0 into 0

function runsPerDayOf(cron: CronExpression): number {
  const { minute, hour } = cron.fields;
  const perMatchingDay = minute.values.length * hour.values.length;
  const [, , dayOfMonth, month, dayOfWeek] = cron.stringify().split(' ');
  if (isAny(dayOfMonth) && isAny(month) && isAny(dayOfWeek)) return perMatchingDay;
  // Days are independent of the time of day: probe each day of the window at the first matching time.
  const h = Number(hour.values[0]);
  const m = Number(minute.values[0]);
  let days = 0;
  for (let d = 0; d < WINDOW_DAYS; d += 1) {
    if (cron.includesDate(new Date(Date.UTC(WINDOW_YEAR, 0, 1 + d, h, m)))) days += 1;
  }
  return (days * perMatchingDay) / WINDOW_DAYS;
}

const isAny = (field: string | undefined): boolean => field === undefined || field === '*' || field === '?';

function describe(cron: CronExpression, expression: string): string {
  const parts = cron.stringify().split(' ');
  const time = describeTime(cron.fields.minute.values.map(Number), cron.fields.hour.values.map(Number));
  const days = describeDays(parts[2] ?? '*', parts[3] ?? '*', parts[4] ?? '*');
  if (time === undefined || days === undefined) return `cron "${expression}" (UTC)`;
  if (days === '') return time.startsWith('at ') ? `every day ${time}` : time;
  return `${time} ${days}`;
}

/** "every minute", "every 20 minutes", "every hour at :15", "every 6 hours at :00", "at 06:00 and 18:00 UTC". */
function describeTime(minutes: number[], hours: number[]): string | undefined {
  const minuteStep = stepOf(minutes, 60);
  const hourStep = stepOf(hours, 24);
  if (hourStep === 1) {
    if (minuteStep === 1) return 'every minute';
    if (minuteStep !== undefined) return `every ${minuteStep} minutes`;
    if (minutes.length <= 4) return `every hour at ${listWords(minutes.map((m) => `:${pad(m)}`))}`;
    return undefined;
  }
  if (minutes.length === 1 && hourStep !== undefined)
    return `every ${hourStep} hours at :${pad(minutes[0] ?? 0)}`;
  if (minutes.length * hours.length <= 6) {
    const times = hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`));
    return `at ${listWords(times)} UTC`;
  }
  return undefined;
}

/** The step of values that start at 0 and cover the whole range evenly (0,20,40 of 60 → 20); else undefined. */
function stepOf(values: number[], range: number): number | undefined {
  if (values[0] !== 0 || values.length < 2) return undefined;
  const step = (values[1] ?? 0) - values[0];
  if (step <= 0 || range % step !== 0 || values.length !== range / step) return undefined;
  return values.every((value, i) => value === i * step) ? step : undefined;
}

/** '' when every day; "on weekdays", "on Mondays", "on day 1 of the month", "in January", … */
function describeDays(dayOfMonth: string, month: string, dayOfWeek: string): string | undefined {
  const words: string[] = [];
  if (!isAny(dayOfWeek) && !isAny(dayOfMonth)) return undefined; // cron ORs them: say it plainly as cron
  if (!isAny(dayOfWeek)) {
    const days = numbersOf(dayOfWeek, 0, 7)?.map((d) => d % 7);
    if (days === undefined) return undefined;
    const unique = [...new Set(days)].sort((a, b) => a - b);
    if (unique.join(',') === '1,2,3,4,5') words.push('on weekdays');
    else if (unique.join(',') === '0,6') words.push('on weekends');
    else words.push(`on ${listWords(unique.map((d) => `${DAY_NAMES[d]}s`))}`);
  }
  if (!isAny(dayOfMonth)) {
    if (dayOfMonth === 'L') words.push('on the last day of the month');
    else {
      const days = numbersOf(dayOfMonth, 1, 31);
      if (days === undefined) return undefined;
      words.push(`on day ${listWords(days.map(String))} of the month`);
    }
  }
  if (!isAny(month)) {
    const months = numbersOf(month, 1, 12);
    if (months === undefined) return undefined;
    words.push(`in ${listWords(months.map((m) => MONTH_NAMES[m - 1] ?? String(m)))}`);
  }
  return words.join(' ');
}

/** Plain numbers, lists and ranges only (`1-5`, `1,15`); anything fancier (`L`, `#`, steps) → undefined. */
function numbersOf(field: string, min: number, max: number): number[] | undefined {
  const out: number[] = [];
  for (const part of field.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) return undefined;
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    if (from < min || to > max || from > to) return undefined;
    for (let n = from; n <= to; n += 1) out.push(n);
  }
  return out;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function listWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
