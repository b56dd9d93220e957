/** Plain-fetch access to an emulator, so these tests exercise the server alone (not titan's client). */
import type { JsonObject } from '../../src/core/json.js';
import type { Emulator } from '../../src/emulator/index.js';
import { TERMINAL_EXECUTION_STATUSES } from '../../src/core/service/types.js';

/** A parsed response body: tests read arbitrary shapes from it. */
export type Body = any; // any: response shapes vary per endpoint

export interface ApiAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: Body;
  text: string;
}

export interface CallOptions {
  token?: string | null;
  headers?: Record<string, string>;
  /** A raw string body, sent as is. */
  raw?: string;
}

export async function call(
  emulator: Emulator,
  method: string,
  path: string,
  body?: unknown,
  options: CallOptions = {},
): Promise<ApiAnswer> {
  const token = options.token === undefined ? emulator.token : options.token;
  const headers: Record<string, string> = { ...options.headers };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${emulator.url}/api/v1${path}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const classicTask = (overrides: JsonObject = {}): JsonObject => ({
  name: 'Product prices',
  urls: ['https://shop.example/p/1'],
  objective: 'Extract the product name and price',
  output_schema: {
    type: 'object',
    properties: { product_name: { type: 'string' }, price: { type: 'number' } },
  },
  execution_type: 'single',
  ...overrides,
});

/** Polls an execution until it is terminal. */
export async function waitForExecution(emulator: Emulator, id: string, timeoutMs = 10_000): Promise<Body> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call(emulator, 'GET', `/executions/${id}`);
    if (TERMINAL_EXECUTION_STATUSES.includes(answer.body.data.status)) {
      return answer.body.data;
    }
    if (Date.now() > deadline) throw new Error(`execution ${id} still ${answer.body.data.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
