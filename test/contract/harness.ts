/** Shared set-up of the contract suite: an emulator on a free port and a client pointed at it over real HTTP. */
import { createClient } from '../../src/io/api/client.js';
import type { ClientOptions, TaskServiceClient } from '../../src/core/service/types.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import type { TaskSpec } from '../../src/core/model.js';
import { startEmulator } from '../helpers/emulator.js';

/** The contract suite's emulator: no scheduler (nothing runs unasked) and a fast worker. */
export function contractEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ scheduler: false, queueDelayMs: 20, urlDurationMs: 20, ...options });
}

export function clientFor(emulator: Emulator, options: Partial<ClientOptions> = {}): TaskServiceClient {
  return createClient({
    origin: emulator.url,
    token: emulator.token,
    backoff: { baseMs: 20, capMs: 500 },
    ...options,
  });
}

/** Requests the emulator received for one route, e.g. `PATCH /api/v1/tasks/:id`. */
export const routeCount = (emulator: Emulator, key: string): number => emulator.stats().byRoute[key] ?? 0;

/** A classic scheduled task with every optional field a classic task can carry. */
export const classicSpec = (name: string): TaskSpec => ({
  name,
  execution_type: 'scheduled',
  schedule: '0 * * * *',
  urls: ['https://shop.example/p/1', 'https://shop.example/p/2'],
  objective: 'Extract the product title and price',
  output_schema: {
    type: 'object',
    properties: { title: { type: 'string' }, price: { type: 'number' } },
    required: ['title'],
  },
  proxy_locations: ['US', 'DE'],
  template_slug: 'product-page',
});

/** A modular single-action api_call task with payload and limits. */
export const apiCallSpec = (name: string): TaskSpec => ({
  name,
  execution_type: 'single',
  urls: ['https://api.carrier.example/v1/quotes'],
  objective: 'POST to the carrier quote API and normalize the JSON response',
  action_type: 'api_call',
  input_source: 'static_urls',
  template_slug: 'carrier-quote-json',
  payload: { origin_zip: '94107', destination_zip: '10001', weight_kg: 12.5 },
  limits: { timeout_seconds: 20, max_retries: 2 },
});

/** A two-step plan: search, then scrape what the search found. */
export const planSpec = (name: string): TaskSpec => ({
  name,
  execution_type: 'single',
  urls: ['https://example.com/seed-blog'],
  objective: 'Find and read patent news',
  execution_plan: {
    steps: [
      {
        action_type: 'search',
        input_source: 'static_urls',
        template_slug: 'example-search-template',
        limits: { max_results: 25 },
      },
      {
        action_type: 'scrape',
        input_source: 'previous_step',
        output_schema: { type: 'object', properties: { headline: { type: 'string' } } },
      },
    ],
  },
});

/** An http origin on a loopback port nothing listens on (connections are refused). */
export async function refusingOrigin(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
