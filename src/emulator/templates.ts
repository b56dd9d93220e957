/** Built-in templates (the slugs the Titan docs' examples use) and lookup by id or slug. */
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../core/json.js';
import { ACTION_TYPES } from '../core/model.js';
import type { Template } from '../core/service/types.js';
import { DEFAULT_OUTPUT_SCHEMAS } from './default-schemas.js';
import type { TemplateDefinition } from './types.js';

export const BUILTIN_TEMPLATES: readonly TemplateDefinition[] = [
  {
    slug: 'example-search-template',
    name: 'Example search',
    description: 'Search a provider SERP URL and return ranked results.',
    action_type: 'search',
    defaults: {
      limits: { max_results: 25 },
      payload: { include_ads: false },
      output_schema: DEFAULT_OUTPUT_SCHEMAS.search,
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

/** A UUID-shaped id derived from `seed` (the same seed always gives the same id, across restarts too). */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A template's id when its definition gives none, derived from the slug so it keeps it across restarts. */
function templateIdFor(slug: string): string {
  return stableUuid(`titan-template:${slug}`);
}

const TEMPLATE_KEYS = ['id', 'slug', 'name', 'description', 'action_type', 'defaults'];
/** Slugs and ids go into URL paths (`/templates/:id_or_slug`). */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * What is wrong with extra template definitions (`--templates FILE`, the `templates` option), each problem as
 * `[index].field: …`; empty when they are usable. Slugs and ids must not repeat a built-in or each other.
 */
export function templateProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return [': must be a JSON array of templates'];
  const taken = {
    slugs: new Set(BUILTIN_TEMPLATES.map((t) => t.slug)),
    ids: new Set(BUILTIN_TEMPLATES.map((t) => t.id ?? templateIdFor(t.slug))),
  };
  return value.flatMap((item: unknown, index) => {
    const at = `[${index}]`;
    if (!isJsonObject(item)) return [`${at}: must be an object with slug, name and action_type`];
    return [...fieldProblems(item).map((problem) => `${at}${problem}`), ...identityProblems(item, at, taken)];
  });
}

/** Problems of one definition's own fields, as `.field: …`. */
function fieldProblems(item: JsonObject): string[] {
  const problems = Object.keys(item)
    .filter((key) => !TEMPLATE_KEYS.includes(key))
    .map((key) => `.${key}: unknown field (known: ${TEMPLATE_KEYS.join(', ')})`);
  const { name, description, action_type: actionType, defaults } = item;
  if (typeof name !== 'string' || name.trim() === '') problems.push('.name: must be a non-empty string');
  if (description !== undefined && typeof description !== 'string')
    problems.push('.description: must be a string');
  if (typeof actionType !== 'string' || !(ACTION_TYPES as readonly string[]).includes(actionType)) {
    problems.push(`.action_type: must be one of ${ACTION_TYPES.join(', ')}`);
  }
  if (defaults !== undefined && !isJsonObject(defaults)) problems.push('.defaults: must be an object');
  else if (defaults?.output_schema !== undefined && !isJsonObject(defaults.output_schema)) {
    problems.push('.defaults.output_schema: must be a JSON Schema object');
  }
  return problems;
}

/** Problems of a definition's slug and id, which must be usable in a path and not taken; records them as taken. */
function identityProblems(
  item: JsonObject,
  at: string,
  taken: { slugs: Set<string>; ids: Set<string> },
): string[] {
  const problems: string[] = [];
  const claim = (field: 'slug' | 'id', value: unknown, names: Set<string>): void => {
    if (typeof value !== 'string' || !SAFE_NAME.test(value)) {
      problems.push(`${at}.${field}: must be a non-empty string of letters, digits, "-", "_" or "."`);
    } else if (names.has(value)) problems.push(`${at}.${field}: "${value}" is already a template`);
    else names.add(value);
  };
  claim('slug', item.slug, taken.slugs);
  if (item.id !== undefined) claim('id', item.id, taken.ids);
  else if (typeof item.slug === 'string') taken.ids.add(templateIdFor(item.slug));
  return problems;
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
