import { describe, expect, it } from 'vitest';
import { compileScrubber, SensitiveValues } from '../../src/core/scrub.js';

const scrubberOf = (...values: string[]) => compileScrubber(new Map(values.map((v) => [v, '(sensitive)'])));

describe('the scrubber', () => {
  it('replaces a long value wherever it appears, even glued to other text', () => {
    const scrub = scrubberOf('CANARY-7f3e9a1c');
    expect(scrub('template_slug: no template "CANARY-7f3e9a1c"')).toBe(
      'template_slug: no template "(sensitive)"',
    );
    expect(scrub('xCANARY-7f3e9a1cy and CANARY-7f3e9a1c')).toBe('x(sensitive)y and (sensitive)');
  });

  it('replaces the JSON-escaped and URL-encoded forms of a value', () => {
    const scrub = scrubberOf('pa"ss\\word/1 2');
    expect(scrub(JSON.stringify({ v: 'pa"ss\\word/1 2' }))).toBe('{"v":"(sensitive)"}');
    expect(scrub(`GET /x?q=${encodeURIComponent('pa"ss\\word/1 2')}`)).toBe('GET /x?q=(sensitive)');
  });

  it('replaces a short value only where it stands as a token of its own', () => {
    const scrub = scrubberOf('ab1');
    expect(scrub('key=ab1&x "ab1" ab1. (ab1) /ab1/ ab1')).toBe(
      'key=(sensitive)&x "(sensitive)" (sensitive). ((sensitive)) /(sensitive)/ (sensitive)',
    );
    expect(scrub('tab1e ab1c xab1 ab1.yaml my-ab1 ab1_z')).toBe('tab1e ab1c xab1 ab1.yaml my-ab1 ab1_z');
  });

  it('replaces a one- or two-character value only as a whole quoted string', () => {
    const scrub = scrubberOf('a', '10');
    expect(scrub('GET /api/v1/tasks 200 10ms: a task, 10 to create')).toBe(
      'GET /api/v1/tasks 200 10ms: a task, 10 to create',
    );
    expect(scrub(`{"page": "10", "k": 'a', "x": "ab"}`)).toBe(
      `{"page": "(sensitive)", "k": '(sensitive)', "x": "ab"}`,
    );
  });

  it('prefers the longer of two overlapping values, and ignores empty and blank values', () => {
    const scrub = compileScrubber(
      new Map([
        ['secret-value-one', '(sensitive)'],
        ['secret-value-one-and-more', '(redacted)'],
        ['', '(sensitive)'],
        ['   ', '(sensitive)'],
      ]),
    );
    expect(scrub('[secret-value-one-and-more] [secret-value-one] a b')).toBe(
      '[(redacted)] [(sensitive)] a b',
    );
  });

  it('treats regular-expression characters in values literally', () => {
    const scrub = scrubberOf('a.b*c+d?(e)[f]{g}|h^$', 'x.y');
    expect(scrub('a.b*c+d?(e)[f]{g}|h^$ xzy x.y axbxc')).toBe('(sensitive) xzy (sensitive) axbxc');
  });
});

describe('the values one run knows', () => {
  it('scrubs every value added so far, the token under its own label', () => {
    const known = new SensitiveValues();
    expect(known.scrub('nothing known yet: tok-123456789')).toBe('nothing known yet: tok-123456789');
    known.addToken('tok-123456789');
    known.add(['env-value-abcdef', '']);
    expect(known.scrub('tok-123456789 env-value-abcdef')).toBe('(redacted) (sensitive)');
    known.add(['tok-123456789']);
    expect(known.isToken('tok-123456789')).toBe(true);
    expect(known.scrub('tok-123456789')).toBe('(redacted)');
  });
});
