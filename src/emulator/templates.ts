/** Built-in templates (the slugs the Titan docs' examples use) and lookup by id or slug. */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../core/json.js';
import type { TemplateDefinition } from './types.js';

export interface Template {
  id: string;
  slug: string;
  name: string;
  description: string;
  action_type: string;
  defaults: JsonObject;
}

export const BUILTIN_TEMPLATES: readonly TemplateDefinition[] = [
  {
    slug: 'example-search-template',
    name: 'Example search',
    description: 'Search a provider SERP URL and return ranked results.',
    action_type: 'search',
    defaults: {
      limits: { max_results: 25 },
      payload: { include_ads: false },
      output_schema: {
        type: 'object',
        properties: {
          title: { type: 'string' },
          url: { type: 'string', format: 'uri' },
          snippet: { type: 'string' },
          rank: { type: 'integer', minimum: 1, maximum: 100 },
        },
      },
    },
  },
  {
    slug: 'carrier-quote-json',
    name: 'Carrier quote (JSON API)',
    description: 'POST a quote request to a carrier API and normalise the JSON response.',
    action_type: 'api_call',
    defaults: {
      limits: { timeout_seconds: 20, max_retries: 2 },
      output_schema: {
        type: 'object',
        properties: {
          carrier: { type: 'string' },
          service: { type: 'string' },
          price: { type: 'number', minimum: 5, maximum: 500 },
          currency: { type: 'string', enum: ['USD', 'EUR'] },
          transit_days: { type: 'integer', minimum: 1, maximum: 10 },
        },
      },
    },
  },
  {
    slug: 'product-page',
    name: 'Product page',
    description: 'Scrape a product detail page: name, price, availability and main image.',
    action_type: 'scrape',
    defaults: {
      output_schema: {
        type: 'object',
        properties: {
          product_name: { type: 'string' },
          price: { type: 'string' },
          in_stock: { type: 'boolean' },
          image: { type: 'string', format: 'uri', contentMediaType: 'image/png' },
        },
      },
    },
  },
];

/** Stable UUID-shaped id derived from the slug, so a template keeps its id across restarts. */
export function templateIdFor(slug: string): string {
  const hex = createHash('sha256').update(`titan-template:${slug}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class TemplateRegistry {
  private readonly byId = new Map<string, Template>();
  private readonly bySlug = new Map<string, Template>();
  readonly all: Template[] = [];

  constructor(definitions: readonly TemplateDefinition[]) {
    for (const definition of definitions) {
      const template: Template = {
        id: definition.id ?? templateIdFor(definition.slug),
        slug: definition.slug,
        name: definition.name,
        description: definition.description ?? '',
        action_type: definition.action_type,
        defaults: definition.defaults ?? {},
      };
      this.byId.set(template.id, template);
      this.bySlug.set(template.slug, template);
      this.all.push(template);
    }
  }

  find(ref: { id?: string; slug?: string }): Template | undefined {
    if (ref.id !== undefined) return this.byId.get(ref.id);
    if (ref.slug !== undefined) return this.bySlug.get(ref.slug);
    return undefined;
  }

  /** `:id_or_slug` path parameter. */
  lookup(idOrSlug: string): Template | undefined {
    return this.byId.get(idOrSlug) ?? this.bySlug.get(idOrSlug);
  }
}
