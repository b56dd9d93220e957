/** Records of actions whose task has no `output_schema` (search, crawl, api_call) follow these shapes. */
import type { JsonObject } from '../core/json.js';

export const DEFAULT_OUTPUT_SCHEMAS = {
  search: {
    type: 'object',
    properties: {
      title: { type: 'string' },
      url: { type: 'string', format: 'uri' },
      snippet: { type: 'string' },
      rank: { type: 'integer', minimum: 1, maximum: 100 },
    },
  },
  crawl: {
    type: 'object',
    properties: {
      url: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      depth: { type: 'integer', maximum: 3 },
    },
  },
  api_call: {
    type: 'object',
    properties: { status_code: { type: 'integer', minimum: 200, maximum: 200 }, body: { type: 'object' } },
  },
  scrape: { type: 'object', properties: { title: { type: 'string' }, text: { type: 'string' } } },
} satisfies Record<string, JsonObject>;

/** The record shape of `actionType` (an unknown action yields scrape-like records). */
export const defaultOutputSchema = (actionType: string): JsonObject =>
  (DEFAULT_OUTPUT_SCHEMAS as Record<string, JsonObject | undefined>)[actionType] ??
  DEFAULT_OUTPUT_SCHEMAS.scrape;
