/** Grouping record violations, sampling URLs, the budget and what a sample record may show. */
import { describe, expect, it } from 'vitest';
import { checkBudget, recordSchemaOf, sampleUrls, temporarySpec } from '../../../src/core/evidence/sample.js';
import { cutText, sampleValue } from '../../../src/core/evidence/redact.js';
import { groupViolations, jsonPathOf } from '../../../src/core/evidence/violations.js';
import type { JsonObject } from '../../../src/core/json.js';
import type { TaskSpec } from '../../../src/core/model.js';
import { createRecordSchemas } from '../../../src/io/record-schemas.js';

const schema: JsonObject = {
  type: 'object',
  properties: {
    title: { type: 'string' },
    price: { type: 'number' },
    offers: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } } } },
    kind: { enum: ['new', 'used'] },
  },
  required: ['title', 'price'],
  additionalProperties: false,
};

describe('groupViolations', () => {
  const validate = createRecordSchemas().validatorFor(schema);
  const check = (records: unknown[]) => groupViolations(records.map(validate));

  it('groups by path and problem, counts records, keeps one example, most frequent first', () => {
    const result = check([
      { title: 'a', price: '12.5' },
      { title: 'b', price: '3' },
      { title: 'c', price: 3 },
      { price: 1, extra: 'x' },
      { title: 'd', price: 2, offers: [{ price: 'x' }, { price: 'y' }], kind: 'broken' },
    ]);
    expect(result).toMatchObject({ records: 5, failing: 4, more_groups: 0 });
    expect(result.violations).toEqual([
      { path: '$.price', message: 'must be number (got string)', count: 2, example: '12.5' },
      { path: '$.extra', message: 'is not allowed (additionalProperties: false)', count: 1, example: 'x' },
      { path: '$.kind', message: 'must be one of "new", "used"', count: 1, example: 'broken' },
      { path: '$.offers[*].price', message: 'must be number (got string)', count: 1, example: 'x' },
      { path: '$.title', message: 'is required but missing', count: 1 },
    ]);
  });

  it('caps the groups it lists and counts the rest', () => {
    const many = createRecordSchemas().validatorFor({ type: 'object', additionalProperties: false });
    const records = Array.from({ length: 30 }, (_, i) => ({ [`p${String(i).padStart(2, '0')}`]: i }));
    const result = groupViolations(records.map(many), { maxGroups: 5 });
    expect(result.violations).toHaveLength(5);
    expect(result.more_groups).toBe(25);
  });

  it('shows an anyOf failure once, not once per branch', () => {
    const validate = createRecordSchemas().validatorFor({
      type: 'object',
      properties: { id: { anyOf: [{ type: 'integer' }, { type: 'string', format: 'uuid' }] } },
    });
    const result = groupViolations([validate({ id: 1.5 })]);
    expect(result.violations.map((v) => v.path)).toEqual(['$.id']);
  });

  it('redacts sensitive values in examples', () => {
    const result = groupViolations([validate({ title: 'a', price: 'key-SECRET-1' })], {
      sensitiveValues: ['SECRET'],
    });
    expect(result.violations[0]?.example).toBe('key-(sensitive)-1');
  });

  it('writes JSON paths with folded indices and quoted odd keys', () => {
    expect(jsonPathOf('')).toBe('$');
    expect(jsonPathOf('/a/0/b c/~1x')).toBe('$.a[*]["b c"]["/x"]');
    expect(jsonPathOf('/a', 'missing')).toBe('$.a.missing');
  });
});

describe('sample values', () => {
  it('masks secret-named properties and sensitive values, cuts long text and wide lists', () => {
    const shown = sampleValue(
      { api_key: 'abc', note: `token is s3cr3t here`, long: 'x'.repeat(200), list: [1, 2, 3, 4, 5, 6, 7] },
      ['s3cr3t'],
    );
    expect(shown).toEqual({
      api_key: '(sensitive)',
      note: 'token is (sensitive) here',
      long: cutText('x'.repeat(200)),
      list: [1, 2, 3, 4, 5, '… 2 more'],
    });
    expect(cutText('x'.repeat(200))).toHaveLength(80);
  });
});

describe('sampling and budget', () => {
  const urls = Array.from({ length: 10 }, (_, i) => `https://s.example/${i}`);
  it('spreads the sample from the first URL to the last, the same every time', () => {
    expect(sampleUrls(urls, 3)).toEqual([urls[0], urls[5], urls[9]]);
    expect(sampleUrls(urls, 1)).toEqual([urls[0]]);
    expect(sampleUrls(urls.slice(0, 2), 3)).toEqual(urls.slice(0, 2));
  });

  it('refuses a run over its budget and allows one within it', () => {
    expect(checkBudget([3, 3, 2], 8)).toEqual({ urls: 8, budget: 8, allowed: true });
    expect(checkBudget([3, 3, 2], 7)).toEqual({ urls: 8, budget: 7, allowed: false });
    expect(checkBudget([3], undefined)).toEqual({ urls: 3, budget: null, allowed: true });
  });

  it('a scheduled task is tested once, as single, on the sample', () => {
    const spec: TaskSpec = {
      name: 'p',
      execution_type: 'scheduled',
      schedule: '0 * * * *',
      urls,
      objective: 'o',
      output_schema: schema,
      proxy_locations: ['US'],
    };
    expect(temporarySpec(spec, 'titan-test x p', [urls[0] as string])).toEqual({
      name: 'titan-test x p',
      execution_type: 'single',
      urls: [urls[0]],
      objective: 'o',
      output_schema: schema,
      proxy_locations: ['US'],
    });
  });

  it("a multi-step task's records follow its last step's schema", () => {
    const last = { type: 'object' };
    expect(
      recordSchemaOf({
        name: 'm',
        execution_type: 'single',
        execution_plan: {
          steps: [
            { action_type: 'search', input_source: 'static_urls' },
            { action_type: 'scrape', input_source: 'previous_step', output_schema: last },
          ],
        },
      }),
    ).toBe(last);
  });
});
