import { describe, expect, it } from 'vitest';
import {
  createBodyFromSpec,
  liveTaskFromBody,
  patchBodyFromSpec,
  specFromBody,
} from '../../src/core/task-body.js';
import type { TaskSpec } from '../../src/core/model.js';

const spec: TaskSpec = {
  name: 'Prices',
  execution_type: 'scheduled',
  schedule: '0 * * * *',
  urls: ['https://shop.example/p/1'],
  objective: 'Extract the price',
  output_schema: { type: 'object', properties: { price: { type: 'number' } } },
};

describe('task bodies', () => {
  it('reads a full task body into the spec, dropping server-owned and unknown fields', () => {
    const body = {
      ...createBodyFromSpec(spec),
      id: 't1',
      status: 'active',
      created_at: 'a',
      updated_at: 'b',
      extra: 1,
    };
    expect(specFromBody(body)).toEqual(spec);
    expect(liveTaskFromBody(body)).toMatchObject({ id: 't1', status: 'active', updated_at: 'b', spec });
  });

  it('treats a list item with only summary fields as a summary (no spec)', () => {
    const item = {
      id: 't1',
      name: 'Prices',
      status: 'active',
      execution_type: 'single',
      created_at: 'a',
      updated_at: 'b',
    };
    expect(liveTaskFromBody(item).spec).toBeUndefined();
  });

  it('still treats an item as a summary when the service adds keys of its own', () => {
    const item = {
      id: 't1',
      name: 'Prices',
      status: 'active',
      created_at: 'a',
      updated_at: 'b',
      owner: 'u1',
    };
    expect(liveTaskFromBody(item).spec).toBeUndefined();
  });

  it('reads a multi-step task without urls as a full task', () => {
    const body = {
      id: 't2',
      name: 'Plan',
      status: 'active',
      created_at: 'a',
      updated_at: 'b',
      execution_type: 'single',
      execution_plan: { steps: [{ action_type: 'search', input_source: 'static_urls' }] },
    };
    expect(liveTaskFromBody(body).spec?.execution_plan?.steps).toHaveLength(1);
  });

  it('sends explicit nulls for optional fields the desired spec no longer has', () => {
    const body = patchBodyFromSpec({ name: 'x', execution_type: 'single' });
    expect(body.schedule).toBeNull();
    expect(body.payload).toBeNull();
    expect(body.name).toBe('x');
    expect(specFromBody(body)).toEqual({ name: 'x', execution_type: 'single' });
  });
});
