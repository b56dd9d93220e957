/**
 * Deterministic, realistic workspaces for the benchmarks: N tasks spread over F multi-document YAML files in team
 * folders, mixing classic scheduled tasks (inline and `$ref` output schemas), one-off tasks, modular crawls and
 * multi-step plans, like a large GitOps repository would. The same (tasks, files, seed) always writes the same
 * bytes; `changedEvery` edits the objective of every k-th task (a "1 % changed" pull request).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

const TEAMS = ['pricing', 'catalog', 'insights', 'logistics', 'research', 'growth', 'support', 'compliance'];
const SITES = [
  'shop',
  'acme',
  'globex',
  'initech',
  'umbrella',
  'hooli',
  'stark',
  'wayne',
  'tyrell',
  'soylent',
];
const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'JP', 'CA', 'NL', 'SE', 'ES', 'IT'];
const FIELDS = [
  ['product_name', '{ type: string }'],
  ['price', '{ type: number, minimum: 0 }'],
  ['currency', '{ type: string, pattern: "^[A-Z]{3}$" }'],
  ['in_stock', '{ type: boolean }'],
  ['rating', '{ type: number, minimum: 0, maximum: 5 }'],
  ['review_count', '{ type: integer, minimum: 0 }'],
  ['sku', '{ type: string }'],
  ['brand', '{ type: string }'],
  ['image', '{ type: string, format: uri }'],
  ['availability', '{ type: string, enum: [in_stock, out_of_stock, preorder] }'],
];
const SHARED_SCHEMAS = {
  'product.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      product_name: { type: 'string' },
      price: { type: 'number', minimum: 0 },
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      in_stock: { type: 'boolean' },
      image: { type: 'string', format: 'uri' },
    },
    required: ['product_name', 'price', 'currency'],
  },
  'listing.json': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            title: { type: 'string' },
            url: { type: 'string', format: 'uri' },
            price: { type: 'number' },
          },
          required: ['title', 'url'],
        },
      },
    },
    required: ['items'],
  },
};

/** Small seeded PRNG (mulberry32): the workspace depends only on the seed. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes the workspace into `dir` and returns `{ files, tasks, changed, bytes }` (bytes of the manifests).
 * @param {string} dir
 * @param {{ tasks: number, files?: number, seed?: number, changedEvery?: number }} options
 */
export async function generateWorkspace(dir, { tasks, files = 100, seed = 1, changedEvery = 0 }) {
  const fileCount = Math.min(files, tasks);
  await mkdir(path.join(dir, 'schemas'), { recursive: true });
  for (const [name, schema] of Object.entries(SHARED_SCHEMAS)) {
    await writeFile(path.join(dir, 'schemas', name), `${JSON.stringify(schema, null, 2)}\n`);
  }
  const documents = Array.from({ length: fileCount }, () => []);
  let changed = 0;
  for (let index = 0; index < tasks; index++) {
    const rng = random(seed * 1_000_003 + index);
    const edit = changedEvery > 0 && index % changedEvery === changedEvery - 1;
    if (edit) changed++;
    // Contiguous runs of tasks per file, like teams grouping their tasks.
    const file = Math.floor((index * fileCount) / tasks);
    documents[file].push(renderTask(index, rng, edit));
  }
  let bytes = 0;
  await Promise.all(
    documents.map(async (docs, file) => {
      const team = TEAMS[file % TEAMS.length];
      const folder = path.join(dir, 'tasks', team);
      await mkdir(folder, { recursive: true });
      const header = '# yaml-language-server: $schema=../../schemas/manifest.schema.json\n';
      const text = header + docs.join('---\n');
      bytes += Buffer.byteLength(text);
      await writeFile(path.join(folder, `${team}-${String(file).padStart(3, '0')}.yaml`), text);
    }),
  );
  return { files: fileCount, tasks, changed, bytes };
}

function renderTask(index, rng, edit) {
  const pick = (list) => list[Math.floor(rng() * list.length)];
  const team = TEAMS[index % TEAMS.length];
  const site = pick(SITES);
  const key = `${team}-${site}-${String(index).padStart(5, '0')}`;
  const kind = rng();
  const urlCount = 1 + Math.floor(rng() * 4);
  const urls = Array.from(
    { length: urlCount },
    (_, n) => `      - https://${site}.example.com/${pick(['p', 'catalog', 'item', 'deals'])}/${index}-${n}`,
  );
  const countries = [...new Set(Array.from({ length: 1 + Math.floor(rng() * 3) }, () => pick(COUNTRIES)))];
  const schedule = `"${Math.floor(rng() * 60)} ${pick(['*', '*/6', '*/12', String(Math.floor(rng() * 24))])} * * ${pick(['*', '1-5', '1'])}"`;
  const objective = `Extract the product name, price with currency and stock status from each ${site} page${edit ? ', and the shipping cost' : ''}`;
  const lines = [
    'apiVersion: titan/v1',
    'kind: Task',
    'metadata:',
    `  name: ${key}`,
    '  labels:',
    `    team: ${team}`,
    `    tier: ${pick(['critical', 'standard', 'best-effort'])}`,
  ];
  if (index % 97 === 0) lines.push('  protect: true');
  lines.push(
    'spec:',
    `  name: ${capitalise(site)} ${pick(['prices', 'catalogue', 'stock', 'reviews'])} #${index}`,
  );

  if (kind < 0.55) {
    // Classic scheduled task with an inline output schema.
    const fields = [...new Set(Array.from({ length: 3 + Math.floor(rng() * 5) }, () => pick(FIELDS)))];
    lines.push(
      '  urls:',
      ...urls,
      `  objective: ${objective}`,
      '  output_schema:',
      '    type: object',
      '    properties:',
    );
    for (const [name, schema] of fields) lines.push(`      ${name}: ${schema}`);
    lines.push(`    required: [${fields[0][0]}]`);
    lines.push(
      '  execution_type: scheduled',
      `  schedule: ${schedule}`,
      `  proxy_locations: [${countries.join(', ')}]`,
    );
  } else if (kind < 0.75) {
    // Classic task sharing a schema file.
    lines.push('  urls:', ...urls, `  objective: ${objective}`);
    lines.push(`  output_schema: { $ref: ../../schemas/${pick(['product.json', 'listing.json'])} }`);
    lines.push(
      '  execution_type: scheduled',
      `  schedule: ${schedule}`,
      `  proxy_locations: [${countries.join(', ')}]`,
    );
  } else if (kind < 0.85) {
    // One-off task, run by hand.
    lines.push('  urls:', ...urls, `  objective: ${objective}`, '  output_schema:', '    type: object');
    lines.push(
      '    properties:',
      '      title: { type: string }',
      '      body: { type: string }',
      '  execution_type: single',
    );
  } else if (kind < 0.95) {
    // Modular crawl.
    lines.push('  action_type: crawl', '  input_source: static_urls', '  urls:', ...urls);
    lines.push(`  objective: Collect every product page URL under /${site}${edit ? ' and /outlet' : ''}`);
    lines.push(
      '  limits:',
      `    max_depth: ${1 + Math.floor(rng() * 4)}`,
      `    max_pages: ${50 * (1 + Math.floor(rng() * 10))}`,
    );
    lines.push('  execution_type: scheduled', `  schedule: ${schedule}`);
  } else {
    // Multi-step: search, then scrape what it found.
    lines.push('  urls:', `    - https://search.example.com/search?q=${site}+${index}`);
    lines.push(`  objective: ${objective}`, '  execution_type: scheduled', `  schedule: ${schedule}`);
    lines.push('  execution_plan:', '    steps:');
    lines.push(
      '      - action_type: search',
      '        input_source: static_urls',
      '        template_slug: example-search-template',
    );
    lines.push('        limits:', `          max_results: ${10 * (1 + Math.floor(rng() * 5))}`);
    lines.push(
      '      - action_type: scrape',
      '        input_source: previous_step',
      '        template_slug: product-page',
    );
    lines.push('        output_schema:', '          type: object', '          properties:');
    lines.push('            product_name: { type: string }', '            price: { type: number }');
    lines.push('          required: [product_name]');
  }
  return `${lines.join('\n')}\n`;
}

const capitalise = (word) => word.charAt(0).toUpperCase() + word.slice(1);
