/**
 * A realistic workspace change touching every action, used by the golden renderings: two new scheduled tasks
 * sharing one output_schema, an update with a breaking output_schema change, one more URL and a faster schedule, a removed manifest, an adoption, a rename, a
 * forced replacement, a rotated secret, a drifted task, an unchanged task and an unmanaged one.
 */
import type { LiveTask } from '../../../src/core/model.js';
import type { Plan } from '../../../src/core/plan/model.js';
import { planChanges, type PlanOptions } from '../../../src/core/plan/planner.js';
import { desired, entry, live, lockOf, ORIGIN, spec } from './fixtures.js';

const newsBefore = spec({
  name: 'News digest',
  execution_type: 'scheduled',
  schedule: '0 * * * *',
  urls: ['https://news.example/world', 'https://news.example/tech'],
  objective: 'Collect the headlines of the front page.\nKeep the summary of each article.\n',
  output_schema: {
    type: 'object',
    properties: {
      headline: { type: 'string' },
      summary: { type: 'string' },
      section: { type: 'string', enum: ['world', 'tech', 'sport'] },
    },
    required: ['headline'],
  },
});
const newsAfter = spec({
  ...newsBefore,
  schedule: '*/20 * * * *',
  urls: ['https://news.example/world', 'https://news.example/tech', 'https://news.example/science'],
  objective: 'Collect the headlines of the front page.\nKeep the author of each article.\n',
  output_schema: {
    type: 'object',
    properties: {
      headline: { type: 'string' },
      author: { type: 'string' },
      section: { type: 'string', enum: ['world', 'tech'] },
    },
    required: ['headline', 'author'],
  },
});
const legacy = spec({ name: 'Legacy feed', execution_type: 'scheduled', schedule: '0 6 * * *' });
const stock = spec({ name: 'Stock levels', urls: ['https://shop.example/stock'] });
const rivalBefore = spec({ name: 'Rival prices', urls: ['https://rival.example/p/1'] });
const rivalAfter = spec({ name: 'Competitor prices', urls: ['https://rival.example/p/1'] });
const flaky = spec({ name: 'Flaky crawler', execution_type: 'single', urls: ['https://flaky.example/'] });
const quotes = spec({ name: 'Quotes', urls: ['https://quotes.example/'] });
const apiSync = (key: string): ReturnType<typeof spec> =>
  spec({
    name: 'API sync',
    urls: undefined,
    objective: undefined,
    output_schema: undefined,
    action_type: 'api_call',
    input_source: 'static_urls',
    payload: { endpoint: 'https://partner.example/v2/items', api_key: key },
  });
const catalogApplied = spec({ name: 'Catalog', proxy_locations: ['US'] });
const catalogLive = spec({ name: 'Catalog', proxy_locations: ['US', 'FR'] });
const productPrices = spec({
  execution_type: 'scheduled',
  schedule: '0 * * * *',
  proxy_locations: ['US', 'DE'],
});
const productPricesEu = spec({
  name: 'Product prices EU',
  execution_type: 'scheduled',
  schedule: '30 6 * * 1',
  urls: ['https://shop.example/eu/p/1'],
  proxy_locations: ['DE'],
});

const changedAt = '2024-05-02T08:30:00.000Z';

export const scenarioDesired = [
  desired('product-prices', productPrices, { labels: { team: 'pricing' } }),
  desired('product-prices-eu', productPricesEu, { labels: { team: 'pricing' } }),
  desired('news-digest', newsAfter, {
    labels: { team: 'content' },
    source: { file: 'tasks/news.yaml', line: 12, column: 1 },
    fieldSources: {
      name: { line: 18, column: 3 },
      execution_type: { line: 19, column: 3 },
      schedule: { line: 20, column: 3 },
      urls: { line: 21, column: 3 },
      objective: { line: 24, column: 3 },
      output_schema: { line: 27, column: 3 },
    },
  }),
  desired('stock-levels', stock),
  desired('competitor-prices', rivalAfter, { previousNames: ['rival-prices'] }),
  desired('flaky-crawler', flaky),
  desired('quotes', quotes),
  desired('api-sync', apiSync('new-secret'), { sensitivePaths: ['/payload/api_key'] }),
  desired('catalog', catalogApplied),
];

export const scenarioLive: LiveTask[] = [
  live('task_news', newsBefore, { updated_at: '2024-05-01T10:00:00.000Z' }),
  live('task_legacy', legacy),
  live('task_stock', stock, { created_at: '2024-04-01T00:00:00.000Z' }),
  live('task_rival', rivalBefore),
  live('task_flaky', flaky),
  live('task_quotes', quotes),
  live('task_api', apiSync('old-secret')),
  live('task_catalog', catalogLive, { updated_at: changedAt }),
  live('task_other', spec({ name: 'Someone else' })),
];

export const scenarioLock = lockOf({
  'news-digest': entry('task_news', newsBefore, { file: 'tasks/news.yaml' }),
  'legacy-feed': entry('task_legacy', legacy, { file: 'tasks/legacy.yaml' }),
  'rival-prices': entry('task_rival', rivalBefore, { file: 'tasks/rival.yaml' }),
  'flaky-crawler': entry('task_flaky', flaky, { file: 'tasks/flaky.yaml' }),
  quotes: entry('task_quotes', quotes, { file: 'tasks/quotes.yaml' }),
  'api-sync': entry('task_api', apiSync('old-secret'), {
    file: 'tasks/api.yaml',
    sensitive: ['/payload/api_key'],
  }),
  catalog: entry('task_catalog', catalogApplied, { file: 'tasks/catalog.yaml' }),
});

export const scenarioOptions: PlanOptions = {
  origin: ORIGIN,
  replace: ['flaky-crawler'],
  manifests: { paths: ['tasks'], files: ['tasks/api.yaml', 'tasks/news.yaml', 'tasks/prices.yaml'] },
};

export const scenarioPlan = (): Plan =>
  planChanges(scenarioDesired, scenarioLive, scenarioLock, scenarioOptions);
