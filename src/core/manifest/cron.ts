/**
 * Schedule checks: a 5-field cron expression as cron-parser reads it, evaluated in UTC, with the offending field
 * named. Pure.
 */
import { CronExpressionParser } from 'cron-parser';
import { SENSITIVE } from '../sensitive.js';

const CRON_FIELDS = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronProblem {
  message: string;
  /** Character offset of the offending part inside the expression. */
  offset: number;
  hint?: string;
}

/**
 * Why `expression` is not a valid schedule, or undefined when it is. With `redact`, messages never quote the
 * expression (it came from the environment and is sensitive).
 */
export function checkCron(expression: string, redact = false): CronProblem | undefined {
  const show = (s: string): string => (redact ? SENSITIVE : JSON.stringify(s));
  const fields = splitFields(expression);
  if (fields.length === 0)
    return { message: 'the schedule is empty', offset: 0, hint: 'e.g. "0 * * * *" runs hourly' };
  const first = fields[0] as Field;
  const macro = MACROS[first.text.toLowerCase()];
  if (fields.length === 1 && first.text.startsWith('@')) {
    return {
      message: `${show(first.text)} is a cron macro; titan schedules are 5-field cron expressions`,
      offset: first.offset,
      ...(macro ? { hint: `write "${macro}"` } : {}),
    };
  }
  if (fields.length !== 5) {
    return {
      message:
        fields.length === 6
          ? 'the schedule has 6 fields; titan schedules have 5 (minute hour day-of-month month day-of-week), without seconds'
          : `the schedule has ${fields.length} field${fields.length === 1 ? '' : 's'}; a schedule has 5: minute hour day-of-month month day-of-week`,
      offset: (fields[5] ?? first).offset,
      hint: 'e.g. "0 * * * *" runs hourly, "30 6 * * 1-5" at 06:30 UTC on weekdays',
    };
  }
  // Only a restricted day of month in restricted months can name a day that never comes (30 2 for 30 February).
  const mayNeverRun = !isAny(fields[2] as Field) && !isAny(fields[3] as Field);
  const reason = parseError(fields.map((f) => f.text).join(' '), mayNeverRun);
  if (reason === undefined) return undefined;
  for (let i = 0; i < 5; i++) {
    const field = fields[i] as Field;
    const alone = fields.map((f, j) => (j === i ? f.text : '*')).join(' ');
    const fieldReason = parseError(alone);
    if (fieldReason !== undefined) {
      return {
        message: `the ${CRON_FIELDS[i]} field ${show(field.text)} is invalid: ${explain(fieldReason, redact, field.text)}`,
        offset: field.offset,
      };
    }
  }
  const dayOfMonth = fields[2] as Field;
  if (/day of month/i.test(reason)) {
    return {
      message: `the day-of-month field ${show(dayOfMonth.text)} never occurs in the month field ${show((fields[3] as Field).text)}, so the task would never run`,
      offset: dayOfMonth.offset,
    };
  }
  return { message: `invalid schedule: ${explain(reason, redact, expression)}`, offset: first.offset };
}

interface Field {
  text: string;
  offset: number;
}

function splitFields(expression: string): Field[] {
  const fields: Field[] = [];
  for (const match of expression.matchAll(/\S+/g)) fields.push({ text: match[0], offset: match.index });
  return fields;
}

const isAny = (field: Field): boolean => field.text === '*' || field.text === '?';

/** cron-parser's complaint about `expression`; with `run`, also when it never runs (finding the next run is slow). */
function parseError(expression: string, run = true): string | undefined {
  try {
    const parsed = CronExpressionParser.parse(expression, {
      tz: 'UTC',
      currentDate: new Date(Date.UTC(2024, 0, 1)),
    });
    if (run) parsed.next();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * cron-parser's wording, made shorter and redacted when needed. It reads names (JAN, MON) as numbers first, so
 * its values are quoted only when the user wrote them (`JANX` is not shown as "1X").
 */
function explain(reason: string, redact: boolean, written = ''): string {
  const range = /got (?:value|range) (\S+) expected range (\S+)/.exec(reason);
  if (range) {
    const got = range[1] ?? '';
    return redact || !written.includes(got)
      ? `out of range ${range[2]}`
      : `${got} is out of range ${range[2]}`;
  }
  if (/cannot repeat at every 0 time/.test(reason)) return 'a step of 0 never advances';
  if (/^Invalid characters/i.test(reason)) return 'it holds characters a cron field cannot have';
  if (/cannot resolve alias/i.test(reason)) return 'not a month or day-of-week name (JAN…DEC, SUN…SAT)';
  if (redact) return 'not a valid cron field';
  return reason
    .replace(/^Validation error, |^Constraint error, /, '')
    .replace(/,? got value:? \S+$/, '')
    .replace(/\.$/, '');
}
