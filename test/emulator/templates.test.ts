import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import type { Emulator, TemplateDefinition } from '../../src/emulator/index.js';
import { templateProblems } from '../../src/emulator/templates.js';
import { startEmulator } from '../helpers/emulator.js';
import { call, classicTask } from './api.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('templates', () => {
  it('lists the built-in templates and configured ones, and finds them by id or slug', async () => {
    emulator = await startEmulator({
      scheduler: false,
      templates: [{ slug: 'team-news', name: 'Team news', action_type: 'crawl' }],
    });
    const list = (await call(emulator, 'GET', '/templates')).body.data;
    expect(list.map((t: { slug: string }) => t.slug)).toEqual([
      'example-search-template',
      'carrier-quote-json',
      'product-page',
      'team-news',
    ]);
    for (const template of list) {
      expect(Object.keys(template).sort()).toEqual([
        'action_type',
        'defaults',
        'description',
        'id',
        'name',
        'slug',
      ]);
    }
    const productPage = list.find((t: { slug: string }) => t.slug === 'product-page');
    expect(productPage.action_type).toBe('scrape');
    expect((await call(emulator, 'GET', `/templates/${productPage.id}`)).body.data).toEqual(productPage);
    expect((await call(emulator, 'GET', '/templates/product-page')).body.data).toEqual(productPage);
    expect((await call(emulator, 'GET', '/templates/unknown')).status).toBe(404);
    const task = await call(emulator, 'POST', '/tasks', classicTask({ template_slug: 'team-news' }));
    expect(task.status).toBe(201);
  });

  it('refuses unusable extra templates, naming every problem', async () => {
    const templates = [
      { slug: 'product-page', name: 'Again', action_type: 'scrape' },
      { slug: 'news', name: '', action_type: 'fly', defaults: { output_schema: 'title' } },
      { slug: 'news', name: 'News', action_type: 'crawl', colour: 'red' },
    ] as unknown as TemplateDefinition[];
    const start = startEmulator({ scheduler: false, templates });
    await expect(start).rejects.toThrow(InvalidInputError);
    const message = await start.catch((error: Error) => error.message);
    for (const problem of [
      'templates[0].slug: "product-page" is already a template',
      'templates[1].name: must be a non-empty string',
      'templates[1].action_type: must be one of search, crawl, scrape, api_call',
      'templates[1].defaults.output_schema: must be a JSON Schema object',
      'templates[2].slug: "news" is already a template',
      'templates[2].colour: unknown field',
    ]) {
      expect(message).toContain(problem);
    }
    expect(templateProblems({ slug: 'x' })).toEqual([': must be a JSON array of templates']);
  });

  it('keeps template ids stable across emulator instances', async () => {
    emulator = await startEmulator({ scheduler: false });
    const first = (await call(emulator, 'GET', '/templates/carrier-quote-json')).body.data.id;
    await emulator.close();
    emulator = await startEmulator({ scheduler: false });
    expect((await call(emulator, 'GET', '/templates/carrier-quote-json')).body.data.id).toBe(first);
  });

  it('previews a template until the daily quota is spent, then answers 429 preview_limit_exceeded', async () => {
    emulator = await startEmulator({ scheduler: false, previewQuota: 2 });
    const preview = await call(emulator, 'POST', '/templates/product-page/preview', {
      urls: ['https://shop.example/p/9'],
    });
    expect(preview.status).toBe(200);
    expect(preview.body.data.records).toHaveLength(3);
    expect(Object.keys(preview.body.data.records[0])).toEqual(['product_name', 'price', 'in_stock', 'image']);
    expect((await call(emulator, 'POST', '/templates/product-page/preview')).status).toBe(200);
    const spent = await call(emulator, 'POST', '/templates/product-page/preview');
    expect(spent.status).toBe(429);
    expect(spent.body).toEqual({
      success: false,
      error: { code: 'TOO_MANY_REQUESTS', message: 'preview_limit_exceeded' },
    });
    expect(spent.headers.get('retry-after')).toBeNull();
    expect(emulator.stats().rateLimited).toBe(1);
    const badUrl = await call(emulator, 'POST', '/templates/product-page/preview', { urls: ['nope'] });
    expect(badUrl.body.error.message).toMatch(/^urls\[0\]: /);
  });

  it('counts the preview quota per UTC day (injectable clock)', async () => {
    let now = new Date('2025-03-01T23:59:00Z');
    emulator = await startEmulator({ scheduler: false, previewQuota: 1, now: () => now });
    expect((await call(emulator, 'POST', '/templates/product-page/preview')).status).toBe(200);
    expect((await call(emulator, 'POST', '/templates/product-page/preview')).status).toBe(429);
    now = new Date('2025-03-02T00:00:01Z');
    expect((await call(emulator, 'POST', '/templates/product-page/preview')).status).toBe(200);
  });
});
