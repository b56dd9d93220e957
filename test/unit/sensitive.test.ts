import { describe, expect, it } from 'vitest';
import { digestSpec } from '../../src/core/lock/digest.js';
import type { TaskSpec } from '../../src/core/model.js';
import { isSensitivePath, maskSensitive } from '../../src/core/sensitive.js';

const spec: TaskSpec = {
  name: 'Quotes',
  execution_type: 'single',
  payload: { api_key: 's3cret', weights: [1, 2] },
};

describe('sensitive values', () => {
  it('masks the values at the given pointers without touching the original', () => {
    const masked = maskSensitive(spec, ['/payload/api_key', '/payload/weights/1']);
    expect(masked.payload).toEqual({ api_key: '(sensitive)', weights: [1, '(sensitive)'] });
    expect(spec.payload?.api_key).toBe('s3cret');
  });

  it('gives the same digest whatever the secret is, and a different one when other fields change', () => {
    const other = { ...spec, payload: { ...spec.payload, api_key: 'rotated' } };
    expect(digestSpec(other, ['/payload/api_key'])).toBe(digestSpec(spec, ['/payload/api_key']));
    expect(digestSpec({ ...spec, name: 'x' }, ['/payload/api_key'])).not.toBe(
      digestSpec(spec, ['/payload/api_key']),
    );
  });

  it('masks a value under a key named __proto__, and leaves a spec alone where a pointer finds nothing', () => {
    const odd = JSON.parse('{"name":"Quotes","payload":{"__proto__":"s3cret"}}') as TaskSpec;
    expect(JSON.stringify(maskSensitive(odd, ['/payload/__proto__']))).toBe(
      '{"name":"Quotes","payload":{"__proto__":"(sensitive)"}}',
    );
    expect(maskSensitive(spec, ['/payload/toString', '/payload/weights/5', '/objective'])).toEqual(spec);
  });

  it('treats children of a sensitive path as sensitive', () => {
    expect(isSensitivePath('/payload/api_key', ['/payload'])).toBe(true);
    expect(isSensitivePath('/payloads', ['/payload'])).toBe(false);
  });
});
