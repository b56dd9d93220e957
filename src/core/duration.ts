/**
 * Durations as people type them on a command line (`--timeout 5m`, `--lock-timeout 30s`) and as titan prints
 * them back. Pure.
 */
import { InvalidInputError } from './errors.js';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Largest unit first: a compound duration must list its parts in this order, each at most once. */
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

const DURATION_SYNTAX = 'e.g. 30s, 5m, 1h30m, 1.5h, 250ms, or plain milliseconds';

/**
 * Milliseconds for `30s`, `5m`, `1h30m`, `1.5h`, `2d`, `250ms` or plain digits (milliseconds); `undefined` when
 * `text` is not a duration. Compound parts go from the largest unit to the smallest (`1h30m`, not `30m1h`).
 */
export function parseDuration(text: string): number | undefined {
  const input = text.trim().toLowerCase();
  if (/^\d+$/.test(input)) return Number(input);
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|d|h|m|s)/y;
  let total = 0;
  let lastRank = -1;
  let index = 0;
  while (index < input.length) {
    part.lastIndex = index;
    const match = part.exec(input);
    if (match === null) return undefined;
    const unit = match[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastRank) return undefined;
    lastRank = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    index = part.lastIndex;
  }
  if (index === 0 || !Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) return undefined;
  return Math.round(total);
}

/** `parseDuration`, or an InvalidInputError (exit 3) naming the flag: for command-line options. */
export function requireDuration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new InvalidInputError(`${flag}: "${text}" is not a duration (${DURATION_SYNTAX}).`);
  }
  return ms;
}

/** Short human form: `850ms`, `42s`, `3m05s`, `1h02m`, `2d03h`. Rounds down to the unit shown. */
export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.floor(ms));
  if (value < 1_000) return `${value}ms`;
  const seconds = Math.floor(value / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad2(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad2(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad2(hours % 24)}h`;
}

/** Clock form for a progress line's elapsed time: `0:07`, `12:34`, `1:02:03`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1_000));
  const h = Math.floor(seconds / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
