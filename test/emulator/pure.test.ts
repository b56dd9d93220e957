/** The emulator's pure parts: CSV cells, record generation, write stamps, flag parsing. */
import { describe, expect, it } from 'vitest';
import { createStampClock, microsFromIso } from '../../src/emulator/clock.js';
import { generateRecords, mediaFieldsOf, renderCsvRow } from '../../src/emulator/records.js';
import { parseEmulatorFlags, parseTokenFlag } from '../../src/emulator/serve.js';
import { ALL_SCOPES } from '../../src/emulator/types.js';

describe('CSV rows', () => {
  it('quotes commas, quotes and line breaks, JSON-encodes nested values, leaves null empty', () => {
    expect(renderCsvRow(['plain', 'a,b', 'say "hi"', 'two\nlines', null, 3, true, { a: [1, 'x'] }])).toBe(
      'plain,"a,b","say ""hi""","two\nlines",,3,true,"{""a"":[1,""x""]}"\r\n',
    );
  });
});

describe('generated records', () => {
  const source = {
    id: 'exec-1',
    urls: ['https://a.example/1', 'https://fail.b.example/2', 'https://c.example/3'],
    processed: 3,
    recordsPerUrl: 2,
    outputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 12 },
        status: { enum: ['new', 'used'] },
        count: { type: 'integer', minimum: 5, maximum: 6 },
        when: { type: 'string', format: 'date-time' },
        logo: { type: 'string', format: 'uri', contentMediaType: 'image/svg+xml' },
      },
    },
  };

  it('follows the schema, skips failed URLs and is the same every time', () => {
    const records = [...generateRecords(source, (id) => `media:${id}`)];
    expect(records).toHaveLength(4);
    for (const record of records) {
      expect(Object.keys(record)).toEqual(['name', 'status', 'count', 'when', 'logo']);
      expect((record.name as string).length).toBeLessThanOrEqual(12);
      expect(['new', 'used']).toContain(record.status);
      expect([5, 6]).toContain(record.count);
      expect(Number.isNaN(Date.parse(record.when as string))).toBe(false);
      expect(record.logo).toMatch(/^media:m/);
    }
    expect([...generateRecords(source, (id) => `media:${id}`)]).toEqual(records);
    expect([...generateRecords({ ...source, id: 'exec-2' }, (id) => id)]).not.toEqual(records);
    expect([...generateRecords({ ...source, processed: 1 }, (id) => id)]).toHaveLength(2);
    expect(mediaFieldsOf(source.outputSchema)).toEqual([{ name: 'logo', contentType: 'image/svg+xml' }]);
  });
});

describe('write stamps', () => {
  it('strictly increase within one millisecond and never go back with the clock', () => {
    let now = new Date('2025-01-01T00:00:00.000Z');
    const clock = createStampClock(() => now);
    const stamps = Array.from({ length: 5 }, () => clock.stamp().iso);
    expect(stamps[0]).toBe('2025-01-01T00:00:00.000000Z');
    expect(stamps[4]).toBe('2025-01-01T00:00:00.000004Z');
    now = new Date('2024-01-01T00:00:00.000Z');
    const later = clock.stamp();
    expect(later.iso > (stamps[4] as string)).toBe(true);
    expect(microsFromIso(later.iso)).toBe(later.micros);
  });
});

describe('emulator flags', () => {
  it('maps every switch onto options', () => {
    expect(
      parseEmulatorFlags({
        port: '0',
        listShape: 'object',
        listItems: 'summary',
        listMeta: 'has-more',
        listDeleted: true,
        maxPageSize: '7',
        updateMethod: 'put',
        createStatus: '202',
        editDuringList: '2',
        rateLimit: '120',
        latency: '5',
        faultRate: '0.2',
        dropAfterCommit: '0.1',
        hangRate: '0',
        queueDelay: '10',
        urlDuration: '20',
        recordsPerUrl: '3',
        token: ['abc', 'def:tasks:read,data:read', 'ghi:'],
      }),
    ).toMatchObject({
      port: 0,
      listShape: 'object',
      listItems: 'summary',
      listMeta: 'has-more',
      listDeleted: true,
      maxPageSize: 7,
      updateMethod: 'put',
      createStatus: 202,
      editDuringList: 2,
      rateLimit: 120,
      latencyMs: 5,
      faultRate: 0.2,
      dropAfterCommit: 0.1,
      hangRate: 0,
      queueDelayMs: 10,
      urlDurationMs: 20,
      recordsPerUrl: 3,
      tokens: [
        { token: 'abc', scopes: [...ALL_SCOPES] },
        { token: 'def', scopes: ['tasks:read', 'data:read'] },
        { token: 'ghi', scopes: [] },
      ],
    });
    expect(parseEmulatorFlags({}).port).toBe(4010);
  });

  it('rejects bad values without echoing a token', () => {
    expect(() => parseEmulatorFlags({ maxPageSize: '0' })).toThrow(
      '--max-page-size must be a whole number of at least 1, not "0".',
    );
    expect(() => parseEmulatorFlags({ port: '-1' })).toThrow('--port must be a whole number from 0 to 65535');
    expect(() => parseEmulatorFlags({ createStatus: '204' })).toThrow(
      '--create-status must be one of 200, 201, 202, not "204".',
    );
    expect(() => parseEmulatorFlags({ listMeta: 'cursor' })).toThrow(
      '--list-meta must be one of pagination, total, has-more, none',
    );
    expect(() => parseEmulatorFlags({ hangRate: 'x' })).toThrow(/--hang-rate/);
    expect(() => parseTokenFlag('top secret')).toThrow(/--token/);
    expect(() => parseTokenFlag('top secret')).not.toThrow(/secret/);
  });
});
