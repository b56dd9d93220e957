/**
 * Schedules as a reviewer reads them: a human reading ("every hour at :00") and runs per day. Pure and
 * deterministic: runs/day never looks at the clock. It is the exact average over a whole 400-year Gregorian cycle
 * (146,097 days, the period after which weekdays and leap days repeat), so a weekly run is 1/7 whatever its
 * weekday, a monthly run 4,800/146,097 and a run on 29 February 97/146,097 — never a 0 or 1 that depends on the
 * day or the year the plan was made. Values are kept exact; only `formatRunsPerDay` rounds, for display.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { TaskSpec } from '../model.js';
import { normalizeSchedule } from './normalize.js';

export interface ScheduleReading {
  /** The expression, spacing normalised. */
  expression: string;
  /** "every hour at :00", "every day at 06:00 UTC", … or `cron "<expr>" (UTC)` when no simpler words fit. */
  reading: string;
  /** Average runs per day over the Gregorian cycle, unrounded. */
  runsPerDay: number;
}

/** The cycle starts on 1 January 2000 (a Saturday); any 400 consecutive years give the same averages. */
const CYCLE_START_YEAR = 2000;
const CYCLE_YEARS = 400;
const CYCLE_DAYS = 146_097;
/** Parsing with a fixed current date keeps the parser off the clock (and is faster). */
const FIXED_NOW = new Date(Date.UTC(CYCLE_START_YEAR, 0, 1));
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
  return { expression, reading: describe(cron, expression), runsPerDay: runsPerDayOf(cron) };
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

/**
 * A runs/day value for display: `24`, `0.14`, `+48` (with `signed`), `-24`; a value that rounds to 0 without being
 * 0 (a yearly schedule) is `<0.01` (`+<0.01`, `-<0.01`) rather than a misleading 0.
 */
export function formatRunsPerDay(value: number, signed = false): string {
  const sign = signed && value > 0 ? '+' : value < 0 ? '-' : '';
  if (value !== 0 && Math.abs(value) < 0.005) return `${sign}<0.01`;
  return `${sign}${String(Math.abs(round2(value)))}`;
}

/** `24 runs/day`, `1 run/day`, `+<0.01 runs/day`. */
export function runsPerDayText(value: number, signed = false): string {
  const text = formatRunsPerDay(value, signed);
  return `${text} ${/^[+-]?1$/.test(text) ? 'run' : 'runs'}/day`;
}

const round2 = (value: number): number => Math.round(value * 100) / 100 + 0; // + 0 turns -0 into 0

/** Runs/day totals in plan data: exact sums, rid of floating-point noise (71.00000000000001). */
export const roundRunsData = (value: number): number => Math.round(value * 1e6) / 1e6 + 0;

function runsPerDayOf(cron: CronExpression): number {
  const { minute, hour } = cron.fields;
  const perMatchingDay = minute.values.length * hour.values.length;
  return (matchingDaysPerCycle(cron) * perMatchingDay) / CYCLE_DAYS;
}

/**
 * Days of the cycle on which the expression runs. Plain day-of-month, month and weekday lists are counted from a
 * table of the cycle's dates; `L` and `#` forms are probed once per kind of month (its month, length and first
 * weekday: about 100 kinds), which is exact too.
 */
function matchingDaysPerCycle(cron: CronExpression): number {
  const { dayOfMonth, dayOfWeek, month } = cron.fields;
  const doms = dayOfMonth.values;
  const dows = dayOfWeek.values;
  const plain =
    doms.every((v) => typeof v === 'number') &&
    dows.every((v) => typeof v === 'number') &&
    !dayOfWeek.hasLastChar &&
    !dayOfMonth.hasLastChar &&
    dayOfWeek.nthDay === 0;
  if (!plain) return probeMonthKinds(cron);
  const days = new Set(doms as number[]);
  const weekdays = new Set((dows as number[]).map((d) => d % 7));
  const anyDay = dayOfMonth.isWildcard;
  const anyWeekday = dayOfWeek.isWildcard;
  let count = 0;
  for (const m of month.values as number[]) {
    const byDay = CYCLE_TABLE[m - 1] as number[][];
    for (let d = 1; d <= 31; d += 1) {
      const byWeekday = byDay[d - 1] as number[];
      for (let w = 0; w < 7; w += 1) {
        const n = byWeekday[w] as number;
        if (n === 0) continue;
        // Like cron (and cron-parser): day of month and weekday, when both are restricted, match either.
        const matches =
          anyDay && anyWeekday
            ? true
            : anyDay
              ? weekdays.has(w)
              : anyWeekday
                ? days.has(d)
                : days.has(d) || weekdays.has(w);
        if (matches) count += n;
      }
    }
  }
  return count;
}

function probeMonthKinds(cron: CronExpression): number {
  const h = Number(cron.fields.hour.values[0]);
  const m = Number(cron.fields.minute.values[0]);
  let count = 0;
  for (const kind of MONTH_KINDS) {
    let days = 0;
    for (let d = 1; d <= kind.length; d += 1) {
      if (cron.includesDate(new Date(Date.UTC(kind.year, kind.month, d, h, m)))) days += 1;
    }
    count += days * kind.count;
  }
  return count;
}

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** `CYCLE_TABLE[month - 1][day - 1][weekday]`: how many dates of the cycle have that month, day and weekday. */
const CYCLE_TABLE: readonly (readonly (readonly number[])[])[] = (() => {
  const table = Array.from({ length: 12 }, () => Array.from({ length: 31 }, () => [0, 0, 0, 0, 0, 0, 0]));
  let weekday = new Date(Date.UTC(CYCLE_START_YEAR, 0, 1)).getUTCDay();
  for (let y = CYCLE_START_YEAR; y < CYCLE_START_YEAR + CYCLE_YEARS; y += 1) {
    for (let mo = 0; mo < 12; mo += 1) {
      const length = daysIn(y, mo);
      for (let d = 0; d < length; d += 1) {
        const counts = table[mo]?.[d] as number[];
        counts[weekday] = (counts[weekday] ?? 0) + 1;
        weekday = (weekday + 1) % 7;
      }
    }
  }
  return table;
})();

/** Each kind of month in the cycle (month, length, first weekday), with one real example and how often it occurs. */
const MONTH_KINDS: readonly { year: number; month: number; length: number; count: number }[] = (() => {
  const kinds = new Map<string, { year: number; month: number; length: number; count: number }>();
  for (let y = CYCLE_START_YEAR; y < CYCLE_START_YEAR + CYCLE_YEARS; y += 1) {
    for (let mo = 0; mo < 12; mo += 1) {
      const length = daysIn(y, mo);
      const key = `${mo}:${length}:${new Date(Date.UTC(y, mo, 1)).getUTCDay()}`;
      const kind = kinds.get(key);
      if (kind) kind.count += 1;
      else kinds.set(key, { year: y, month: mo, length, count: 1 });
    }
  }
  return [...kinds.values()];
})();

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
