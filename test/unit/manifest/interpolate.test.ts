import { describe, expect, it } from 'vitest';
import { scanString } from '../../../src/core/manifest/interpolate.js';

describe('${env:…} interpolation', () => {
  const env = { TOKEN: 's3cret', EMPTY: '', REGION: 'eu' };

  it.each([
    ['Bearer ${env:TOKEN}', 'Bearer s3cret'],
    ['${env:MISSING:-fallback}', 'fallback'],
    ['${env:EMPTY:-fallback}', 'fallback'],
    ['${env:EMPTY}', ''],
    ['${env:MISSING:-}', ''],
    ['${env:REGION}-${env:TOKEN}', 'eu-s3cret'],
    ['literal $${env:TOKEN}', 'literal ${env:TOKEN}'],
    ['cost: $5 and ${price}', 'cost: $5 and ${price}'],
    ['$$ stays $$', '$$ stays $$'],
    ['${env:MISSING:-a:-b}', 'a:-b'],
  ])('%s → %s', (input, output) => {
    const scanned = scanString(input, env);
    expect(scanned.issues).toEqual([]);
    expect(scanned.text).toBe(output);
  });

  it('marks only strings that used a variable', () => {
    expect(scanString('${env:TOKEN}', env).references).toHaveLength(1);
    expect(scanString('$${env:TOKEN}', env).references).toHaveLength(0);
    expect(scanString('plain', env).references).toHaveLength(0);
  });

  it.each([
    ['${env:MISSING}', 'missing'],
    ['${env:1ABC}', 'syntax'],
    ['${env:}', 'syntax'],
    ['${ENV:TOKEN}', 'syntax'],
    ['${env:TOKEN', 'syntax'],
  ])('%s is a %s problem', (input, kind) => {
    expect(scanString(input, env).issues.map((i) => i.kind)).toEqual([kind]);
  });
});
