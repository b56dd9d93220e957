/** Every invalid body class of titan-api.md A2 answers 400 BAD_REQUEST with a message naming the field. */
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../src/core/json.js';
import { startEmulator, useEmulator } from '../helpers/emulator.js';
import { call, classicTask } from './api.js';

const schema = { type: 'object', properties: { title: { type: 'string' } } };
const without = (field: string): JsonObject => {
  const body = classicTask();
  delete body[field];
  return body;
};
/** A modular search task; an `undefined` override removes the field. */
const modular = (overrides: Record<string, JsonValue | undefined> = {}): JsonObject =>
  JSON.parse(
    JSON.stringify({
      name: 'Search',
      execution_type: 'single',
      urls: ['https://search.example/?q=a'],
      action_type: 'search',
      input_source: 'static_urls',
      ...overrides,
    }),
  ) as JsonObject;
const planTask = (steps: JsonObject[], overrides: JsonObject = {}): JsonObject => ({
  name: 'Plan',
  execution_type: 'single',
  urls: ['https://search.example/?q=a'],
  execution_plan: { steps },
  ...overrides,
});

// [what is wrong, body, the field the message must start with]
const INVALID: [string, unknown, string][] = [
  ['body is not an object', ['a'], 'body'],
  ['name missing', without('name'), 'name'],
  ['name empty', classicTask({ name: '  ' }), 'name'],
  ['name not a string', classicTask({ name: 42 }), 'name'],
  ['urls missing (classic)', without('urls'), 'urls'],
  ['urls empty', classicTask({ urls: [] }), 'urls'],
  ['urls not an array', classicTask({ urls: 'https://a.example' }), 'urls'],
  ['a relative URL', classicTask({ urls: ['https://a.example', '/relative'] }), 'urls[1]'],
  ['an ftp URL', classicTask({ urls: ['ftp://a.example/file'] }), 'urls[0]'],
  ['objective missing (classic)', without('objective'), 'objective'],
  ['output_schema missing (classic)', without('output_schema'), 'output_schema'],
  ['output_schema not an object', classicTask({ output_schema: 'object' }), 'output_schema'],
  ['output_schema that does not compile', classicTask({ output_schema: { type: 'nope' } }), 'output_schema'],
  [
    'output_schema with a broken $ref',
    classicTask({ output_schema: { $ref: '#/definitions/missing' } }),
    'output_schema',
  ],
  ['execution_type missing', without('execution_type'), 'execution_type'],
  ['execution_type unknown', classicTask({ execution_type: 'daily' }), 'execution_type'],
  ['schedule missing for scheduled', classicTask({ execution_type: 'scheduled' }), 'schedule'],
  ['schedule on a single task', classicTask({ schedule: '0 * * * *' }), 'schedule'],
  [
    'schedule with 6 fields',
    classicTask({ execution_type: 'scheduled', schedule: '0 0 * * * *' }),
    'schedule',
  ],
  ['schedule out of range', classicTask({ execution_type: 'scheduled', schedule: '61 * * * *' }), 'schedule'],
  ['schedule not cron', classicTask({ execution_type: 'scheduled', schedule: 'every hour' }), 'schedule'],
  ['proxy_locations not an array', classicTask({ proxy_locations: 'US' }), 'proxy_locations'],
  ['proxy_locations lower case', classicTask({ proxy_locations: ['US', 'de'] }), 'proxy_locations[1]'],
  ['proxy_locations not a country', classicTask({ proxy_locations: ['XX'] }), 'proxy_locations[0]'],
  [
    'template_id and template_slug',
    classicTask({ template_id: 'a', template_slug: 'product-page' }),
    'template_slug',
  ],
  ['unknown template_slug', classicTask({ template_slug: 'no-such-template' }), 'template_slug'],
  ['unknown template_id', classicTask({ template_id: 'no-such-id' }), 'template_id'],
  ['script_id not a string', classicTask({ script_id: 7 }), 'script_id'],
  ['unknown field', classicTask({ colour: 'blue' }), 'colour'],
  ['server-owned field', classicTask({ status: 'paused' }), 'status'],
  ['action_type unknown', modular({ action_type: 'download' }), 'action_type'],
  ['input_source missing', modular({ input_source: undefined }), 'input_source'],
  ['input_source unknown', modular({ input_source: 'magic' }), 'input_source'],
  ['input_source previous_step at top level', modular({ input_source: 'previous_step' }), 'input_source'],
  ['input_source without action_type', classicTask({ input_source: 'static_urls' }), 'input_source'],
  ['static_urls without urls', modular({ urls: undefined }), 'urls'],
  ['scrape without output_schema', modular({ action_type: 'scrape' }), 'output_schema'],
  ['limits not an object', modular({ limits: [1] }), 'limits'],
  ['payload not an object', modular({ payload: 'x' }), 'payload'],
  ['execution_plan not an object', planTask([], { execution_plan: [] }), 'execution_plan'],
  ['execution_plan without steps', planTask([]), 'execution_plan.steps'],
  [
    'execution_plan with an unknown key',
    planTask([], { execution_plan: { steps: [], order: 1 } }),
    'execution_plan.order',
  ],
  [
    'a plan step with an unknown field',
    planTask([{ action_type: 'search', input_source: 'static_urls', colour: 1 }]),
    'execution_plan.steps[0].colour',
  ],
  [
    'a plan step without action_type',
    planTask([{ input_source: 'static_urls' }]),
    'execution_plan.steps[0].action_type',
  ],
  [
    'a plan step with an unknown input_source',
    planTask([{ action_type: 'search', input_source: 'nowhere' }]),
    'execution_plan.steps[0].input_source',
  ],
  [
    'first step reads previous_step',
    planTask([{ action_type: 'search', input_source: 'previous_step' }]),
    'execution_plan.steps[0].input_source',
  ],
  [
    'a step with an unknown template',
    planTask([
      { action_type: 'search', input_source: 'static_urls' },
      { action_type: 'scrape', input_source: 'previous_step', template_slug: 'nope', output_schema: schema },
    ]),
    'execution_plan.steps[1].template_slug',
  ],
  [
    'a step schema that does not compile',
    planTask([{ action_type: 'search', input_source: 'static_urls', output_schema: { type: 12 } }]),
    'execution_plan.steps[0].output_schema',
  ],
  [
    'a scrape step without any schema',
    planTask([
      { action_type: 'search', input_source: 'static_urls' },
      { action_type: 'scrape', input_source: 'previous_step' },
    ]),
    'execution_plan.steps[1].output_schema',
  ],
  [
    'top-level action_type with a plan',
    planTask([{ action_type: 'search', input_source: 'static_urls' }], { action_type: 'search' }),
    'action_type',
  ],
  [
    'top-level input_source with a plan',
    planTask([{ action_type: 'search', input_source: 'static_urls' }], { input_source: 'static_urls' }),
    'input_source',
  ],
];

describe('validation of task bodies', () => {
  const emulator = useEmulator({ scheduler: false });

  it.each(INVALID)('create: %s → 400 naming the field', async (_what, body, field) => {
    const answer = await call(emulator(), 'POST', '/tasks', body);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.success).toBe(false);
    expect(answer.body.error.code).toBe('BAD_REQUEST');
    expect(answer.body.error.message.startsWith(`${field}: `), answer.body.error.message).toBe(true);
  });

  it('names the failing URL precisely', async () => {
    const answer = await call(
      emulator(),
      'POST',
      '/tasks',
      classicTask({ urls: ['https://ok.example', 'not a url'] }),
    );
    expect(answer.body.error.message).toBe('urls[1]: must be an absolute http(s) URL');
  });

  it('accepts only assigned country codes in proxy_locations, like titan itself', async () => {
    for (const code of ['EU', 'XA']) {
      const answer = await call(emulator(), 'POST', '/tasks', classicTask({ proxy_locations: ['US', code] }));
      expect(answer.status, answer.text).toBe(400);
      expect(answer.body.error.message).toBe(
        'proxy_locations[1]: must be an ISO-3166 alpha-2 country code (e.g. "US")',
      );
    }
    const accepted = await call(emulator(), 'POST', '/tasks', classicTask({ proxy_locations: ['US'] }));
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.body.data.proxy_locations).toEqual(['US']);
  });

  it('rejects a body that is not JSON', async () => {
    const answer = await call(emulator(), 'POST', '/tasks', undefined, { raw: '{"name": ' });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^body: /);
  });

  it('validates PUT bodies and PATCH bodies the same way', async () => {
    const task = (await call(emulator(), 'POST', '/tasks', classicTask())).body.data;
    const put = await call(
      emulator(),
      'PUT',
      `/tasks/${task.id}`,
      classicTask({ urls: ['mailto:a@b.example'] }),
    );
    expect(put.body.error.message).toMatch(/^urls\[0\]: /);
    const patch = await call(emulator(), 'PATCH', `/tasks/${task.id}`, { objective: null });
    expect(patch.body.error.message).toMatch(/^objective: /);
    const unknown = await call(emulator(), 'PATCH', `/tasks/${task.id}`, { colour: 'red' });
    expect(unknown.body.error.message).toMatch(/^colour: /);
  });

  it('accepts a 2020-12 schema, unknown keywords and template references that exist', async () => {
    const templates = (await call(emulator(), 'GET', '/templates')).body.data;
    const productPage = templates.find((t: { slug: string }) => t.slug === 'product-page');
    const bodies = [
      classicTask({
        output_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', 'x-ui': 1 },
      }),
      classicTask({ template_id: productPage.id }),
      classicTask({ template_slug: 'product-page', script_id: 'scr_1', script_version: '3' }),
      modular({ action_type: 'crawl', input_source: 'task_url_inventory', urls: undefined }),
    ];
    for (const body of bodies) {
      const answer = await call(emulator(), 'POST', '/tasks', body);
      expect(answer.status, answer.text).toBe(201);
    }
  });
});

describe('the allow-unknown-fields switch', () => {
  it('ignores unknown and server-owned fields instead of rejecting them', async () => {
    const emulator = await startEmulator({ allowUnknownFields: true, scheduler: false });
    try {
      const answer = await call(
        emulator,
        'POST',
        '/tasks',
        classicTask({ colour: 'blue', status: 'paused' }),
      );
      expect(answer.status).toBe(201);
      expect(answer.body.data).not.toHaveProperty('colour');
      expect(answer.body.data.status).toBe('active');
    } finally {
      await emulator.close();
    }
  });
});
