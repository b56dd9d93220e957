import { describe, expect, it } from 'vitest';
import { formatDuration, formatElapsed, parseDuration, requireDuration } from '../../../src/core/duration.js';
import { InvalidInputError } from '../../../src/core/errors.js';

describe('parseDuration', () => {
  it.each([
    ['1500', 1_500],
    ['0', 0],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1h0m5s', 3_605_000],
    ['1s500ms', 1_500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    [' 10S ', 10_000],
  ])('%j → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '5x', '-5s', '1h30', '30m1h', '1m1m', 's', '1 h', '5 m 3 s', '1e3', 'ms', '1.5'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('names the flag and the syntax when a required duration is wrong', () => {
    expect(() => requireDuration('soon', '--timeout')).toThrow(InvalidInputError);
    expect(() => requireDuration('soon', '--timeout')).toThrow(
      /--timeout: "soon" is not a duration \(e\.g\. 30s/,
    );
    expect(requireDuration('2m', '--timeout')).toBe(120_000);
  });
});

describe('formatDuration / formatElapsed', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [42_900, '42s'],
    [185_000, '3m05s'],
    [3_720_000, '1h02m'],
    [183_600_000, '2d03h'],
  ])('formatDuration(%i) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([
    [0, '0:00'],
    [7_400, '0:07'],
    [754_000, '12:34'],
    [3_723_000, '1:02:03'],
  ])('formatElapsed(%i) = %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });

  it('reads back what it prints, to the unit shown', () => {
    for (const ms of [850, 42_000, 185_000, 3_720_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
