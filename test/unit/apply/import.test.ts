import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderManifest, slugify, uniqueKey } from '../../../src/app/import.js';

describe('import --all helpers', () => {
  it.each([
    ['Product prices', 'product-prices'],
    ['  Ünïcode Näme!! ', 'unicode-name'],
    ['***', 'task'],
    ['A'.repeat(80), 'a'.repeat(63)],
    [`${'ab-'.repeat(21)}x`, 'ab-'.repeat(20) + 'ab'],
  ])('slugify(%j) = %j, a valid key', (name, key) => {
    expect(slugify(name)).toBe(key);
    expect(slugify(name)).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  });

  it('de-duplicates keys deterministically and keeps them within 63 characters', () => {
    const taken = new Set(['prices', 'prices-2']);
    expect(uniqueKey('prices', (k) => taken.has(k))).toBe('prices-3');
    const long = 'x'.repeat(63);
    const key = uniqueKey(long, (k) => k === long);
    expect(key).toBe(`${'x'.repeat(61)}-2`);
  });

  it('writes a manifest whose ${ sequences stay literal', () => {
    const text = renderManifest('prices', {
      name: 'Prices',
      execution_type: 'single',
      urls: ['https://shop.example/a'],
      objective: 'Keep ${env:HOME} as text',
    });
    const doc = parse(text) as { metadata: { name: string }; spec: { objective: string } };
    expect(doc.metadata.name).toBe('prices');
    expect(doc.spec.objective).toBe('Keep $${env:HOME} as text');
    expect(text.indexOf('name: Prices')).toBeLessThan(text.indexOf('urls:'));
  });
});
