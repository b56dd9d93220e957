/** The emulator's schema-violation switch: records that break their output schema on purpose, and only those. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/core/json.js';
import type { Emulator } from '../../src/emulator/index.js';
import { generateRecords, violateRecord, type RecordSource } from '../../src/emulator/records.js';
import { parseEmulatorFlags } from '../../src/emulator/serve.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, waitForExecution } from './api.js';

const schema: JsonObject = {
  type: 'object',
  properties: { title: { type: 'string' }, price: { type: 'number' }, in_stock: { type: 'boolean' } },
  required: ['title', 'price'],
  additionalProperties: false,
};
const validate = new Ajv2020({ allErrors: true }).compile(schema);

const source = (violationRate?: number): RecordSource => ({
  id: 'exec-1',
  urls: ['https://a.example/1', 'https://b.example/2'],
  processed: 2,
  recordsPerUrl: 3,
  outputSchema: schema,
  ...(violationRate === undefined ? {} : { violationRate }),
});
const records = (rate?: number): JsonObject[] => [...generateRecords(source(rate), (id) => id)];

describe('violating records', () => {
  it('rate 1 breaks every record, each kind in turn; rate 0 changes nothing', () => {
    const broken = records(1);
    expect(broken.map((r) => validate(r))).toEqual([false, false, false, false, false, false]);
    expect(broken.filter((r) => typeof r.title === 'number')).toHaveLength(2);
    expect(broken.filter((r) => !('title' in r))).toHaveLength(2);
    expect(broken.filter((r) => '_unexpected' in r)).toHaveLength(2);
    expect(records(0)).toEqual(records());
    expect(records().every((r) => validate(r))).toBe(true);
  });

  it('a share in between breaks some records and leaves the others exactly as they were', () => {
    const clean = records();
    const some = [...generateRecords({ ...source(0.5), processed: 2, recordsPerUrl: 40 }, (id) => id)];
    const cleanMany = [...generateRecords({ ...source(), recordsPerUrl: 40 }, (id) => id)];
    const failing = some.filter((r) => !validate(r)).length;
    expect(failing).toBeGreaterThan(10);
    expect(failing).toBeLessThan(70);
    some.forEach((r, i) => {
      if (validate(r)) expect(r).toEqual(cleanMany[i]);
    });
    expect(clean).toHaveLength(6);
  });

  it('each kind breaks the schema the way it says', () => {
    const record = { title: 'A', price: 3.5, in_stock: true };
    expect(violateRecord(record, schema, 'wrong-type')).toEqual({ title: 1, price: 3.5, in_stock: true });
    expect(violateRecord(record, schema, 'missing-required')).toEqual({ price: 3.5, in_stock: true });
    expect(violateRecord(record, schema, 'extra-property')).toMatchObject({
      _unexpected: expect.any(String),
    });
    expect(record).toEqual({ title: 'A', price: 3.5, in_stock: true });
  });

  it('--violations takes a share from 0 to 1', () => {
    expect(parseEmulatorFlags({ violations: '0.25' }).violationRate).toBe(0.25);
    expect(() => parseEmulatorFlags({ violations: '2' })).toThrow(/--violations must be a share/);
  });
});

describe('violating records over HTTP', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  it('an execution keeps the rate it started with: its export breaks the schema', async () => {
    emulator = await startEmulator({ scheduler: false, queueDelayMs: 0, urlDurationMs: 0, violationRate: 1 });
    const task = {
      name: 'prices',
      urls: ['https://shop.example/1'],
      objective: 'Extract prices',
      output_schema: schema,
      execution_type: 'single',
    };
    const created = (await call(emulator, 'POST', '/tasks', task)).body.data;
    const execution = (await call(emulator, 'POST', `/tasks/${created.id}/run`)).body.data;
    await waitForExecution(emulator, execution.id);
    const exported = (await call(emulator, 'GET', `/executions/${execution.id}/results/export`))
      .body as JsonObject[];
    expect(exported).toHaveLength(2);
    expect(exported.some((r) => validate(r))).toBe(false);
  });
});
