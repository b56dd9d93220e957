/**
 * Deterministic result records: generated on demand from an execution's `output_schema`, seeded by execution id,
 * URL and record index, so an export of any size is streamed without being stored. Pure.
 */
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json.js';
import { seededRandom } from '../core/random.js';

export interface MediaField {
  name: string;
  contentType: string;
}

/** What a record generator needs to know about an execution. */
export interface RecordSource {
  id: string;
  urls: readonly string[];
  /** URLs finished so far; only those before this index have records. */
  processed: number;
  recordsPerUrl: number;
  outputSchema: JsonObject;
  /** Share (0..1) of records made to violate `outputSchema` on purpose (absent: none). */
  violationRate?: number;
}

/** How a record is made to violate its schema, in the order they take turns. */
export const VIOLATION_KINDS = ['wrong-type', 'missing-required', 'extra-property'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** Properties of the schema that hold media: any `contentMediaType` (typically with `format: "uri"`). */
export function mediaFieldsOf(schema: JsonObject): MediaField[] {
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  const fields: MediaField[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (isJsonObject(property) && typeof property.contentMediaType === 'string') {
      fields.push({ name, contentType: property.contentMediaType });
    }
  }
  return fields;
}

/** Record columns in `output_schema` order. */
export function recordKeysOf(schema: JsonObject): string[] {
  const properties = isJsonObject(schema.properties) ? Object.keys(schema.properties) : [];
  return properties.length > 0 ? properties : ['value'];
}

export const isFailingUrl = (url: string): boolean => {
  try {
    return new URL(url).hostname.startsWith('fail.');
  } catch {
    return true;
  }
};

export const mediaIdFor = (
  executionId: string,
  urlIndex: number,
  recordIndex: number,
  field: string,
): string =>
  `m${hash32(`${executionId}|${urlIndex}|${recordIndex}|${field}`).toString(16).padStart(8, '0')}${urlIndex.toString(36)}x${recordIndex.toString(36)}${fieldTag(field)}`;

const fieldTag = (field: string): string => hash32(field).toString(36);

/** Every record of the execution, lazily. `mediaUrl` turns a media id into its stable download URL. */
export function* generateRecords(
  source: RecordSource,
  mediaUrl: (mediaId: string) => string,
): Generator<JsonObject> {
  const media = new Map(mediaFieldsOf(source.outputSchema).map((field) => [field.name, field]));
  for (let urlIndex = 0; urlIndex < source.processed; urlIndex++) {
    const url = source.urls[urlIndex] ?? '';
    if (isFailingUrl(url)) continue;
    for (let recordIndex = 0; recordIndex < source.recordsPerUrl; recordIndex++) {
      const random = randomFromText(`${source.id}|${url}|${recordIndex}`);
      const context: GenContext = { random, url, n: recordIndex + 1 };
      const record = generateRecord(source.outputSchema, context, (field) =>
        media.has(field) ? mediaUrl(mediaIdFor(source.id, urlIndex, recordIndex, field)) : undefined,
      );
      const rate = source.violationRate ?? 0;
      // Its own seed, so records that stay valid are the same with and without the switch.
      if (rate > 0 && randomFromText(`${source.id}|${url}|${recordIndex}|violation`)() < rate) {
        const position = urlIndex * source.recordsPerUrl + recordIndex;
        yield violateRecord(record, source.outputSchema, VIOLATION_KINDS[position % VIOLATION_KINDS.length]!);
      } else yield record;
    }
  }
}

/**
 * `record` made to break `schema` in the way `kind` says: the first typed property gets a value of another type,
 * a required property (else the first one) goes missing, or an unexpected property appears (a violation only where
 * the schema forbids additional properties). A record the kind cannot apply to is returned as it was.
 */
export function violateRecord(record: JsonObject, schema: JsonObject, kind: ViolationKind): JsonObject {
  const properties = isJsonObject(schema.properties) ? schema.properties : {};
  const out: JsonObject = { ...record };
  if (kind === 'extra-property') {
    out._unexpected = 'not in the output schema';
    return out;
  }
  if (kind === 'missing-required') {
    const required = Array.isArray(schema.required)
      ? schema.required.filter((r) => typeof r === 'string')
      : [];
    const name = (required[0] as string | undefined) ?? Object.keys(properties)[0] ?? 'value';
    delete out[name];
    return out;
  }
  for (const [name, property] of Object.entries(properties)) {
    if (!isJsonObject(property) || out[name] === undefined) continue;
    out[name] = wrongTypeFor(out[name] as JsonValue);
    return out;
  }
  if (out.value !== undefined) out.value = wrongTypeFor(out.value);
  return out;
}

/** A value of another JSON type: numbers and booleans become their text, text becomes a number, the rest text. */
function wrongTypeFor(value: JsonValue): JsonValue {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return value.length;
  return JSON.stringify(value);
}

/** A few sample records for a template preview. */
export function sampleRecords(schema: JsonObject, seed: string, url: string, count: number): JsonObject[] {
  const out: JsonObject[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      generateRecord(
        schema,
        { random: randomFromText(`${seed}|${url}|${i}`), url, n: i + 1 },
        () => undefined,
      ),
    );
  }
  return out;
}

interface GenContext {
  random: () => number;
  url: string;
  n: number;
}

function generateRecord(
  schema: JsonObject,
  context: GenContext,
  mediaUrlFor: (field: string) => string | undefined,
): JsonObject {
  const properties = isJsonObject(schema.properties) ? schema.properties : undefined;
  if (!properties || Object.keys(properties).length === 0)
    return { value: generateValue(schema, 'value', context, 0) };
  const record: JsonObject = {};
  for (const [name, property] of Object.entries(properties)) {
    record[name] =
      mediaUrlFor(name) ?? generateValue(isJsonObject(property) ? property : {}, name, context, 0);
  }
  return record;
}

const WORDS = ['alpha', 'bright', 'cedar', 'delta', 'ember', 'fjord', 'garnet', 'harbor', 'iris', 'juniper'];
const MAX_DEPTH = 4;

function generateValue(schema: JsonObject, name: string, context: GenContext, depth: number): JsonValue {
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(schema.enum, context.random);
  const variants = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : undefined;
  if (variants && isJsonObject(variants[0])) return generateValue(variants[0], name, context, depth);
  switch (typeOf(schema)) {
    case 'null':
      return null;
    case 'boolean':
      return context.random() < 0.5;
    case 'integer':
      return Math.floor(numberIn(schema, context.random));
    case 'number':
      return Math.round(numberIn(schema, context.random) * 100) / 100;
    case 'array':
      return generateArray(schema, name, context, depth);
    case 'object':
      return generateObject(schema, context, depth);
    default:
      return generateString(schema, name, context);
  }
}

function typeOf(schema: JsonObject): string {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (typeof type === 'string') return type;
  if (isJsonObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return 'string';
}

function numberIn(schema: JsonObject, random: () => number): number {
  const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
  const max = typeof schema.maximum === 'number' ? schema.maximum : Math.max(min + 1000, min);
  return min + random() * (max - min);
}

function generateArray(schema: JsonObject, name: string, context: GenContext, depth: number): JsonValue {
  if (depth >= MAX_DEPTH) return [];
  const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
  const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
  const count = Math.min(min + Math.floor(context.random() * (max - min + 1)), 10);
  const items = isJsonObject(schema.items) ? schema.items : { type: 'string' };
  return Array.from({ length: count }, () => generateValue(items, name, context, depth + 1));
}

function generateObject(schema: JsonObject, context: GenContext, depth: number): JsonValue {
  const out: JsonObject = {};
  if (depth >= MAX_DEPTH || !isJsonObject(schema.properties)) return out;
  for (const [key, property] of Object.entries(schema.properties)) {
    out[key] = generateValue(isJsonObject(property) ? property : {}, key, context, depth + 1);
  }
  return out;
}

function generateString(schema: JsonObject, name: string, context: GenContext): string {
  const host = hostOf(context.url);
  const n = context.n;
  let value: string;
  switch (schema.format) {
    case 'uri':
    case 'url':
    case 'iri':
      value = `https://${host}/item/${n}-${Math.floor(context.random() * 1e6)}`;
      break;
    case 'date-time':
      value = new Date(Date.UTC(2025, 0, 1) + Math.floor(context.random() * 365 * 86_400_000)).toISOString();
      break;
    case 'date':
      value = new Date(Date.UTC(2025, 0, 1) + Math.floor(context.random() * 365) * 86_400_000)
        .toISOString()
        .slice(0, 10);
      break;
    case 'email':
      value = `${pick(WORDS, context.random)}${n}@example.com`;
      break;
    case 'uuid':
      value = uuidFrom(context.random);
      break;
    default:
      value = `${humanize(name)} ${pick(WORDS, context.random)} ${n} (${host})`;
  }
  const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  return maxLength !== undefined ? value.slice(0, maxLength) : value;
}

const humanize = (name: string): string => {
  const words = name.replace(/[_-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Value';
};

const hostOf = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return 'example.com';
  }
};

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shared seeded generator, seeded from a string (execution id + URL). */
const randomFromText = (seed: string): (() => number) => seededRandom(hash32(seed));

/** One CSV line (RFC 4180): nested values as JSON, null as an empty cell. */
export function renderCsvRow(values: readonly (JsonValue | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Tiny deterministic media bytes of the right kind for common types (a real 1×1 PNG / GIF, an SVG). */
export function mediaBytes(id: string, contentType: string): Buffer {
  const random = randomFromText(id);
  const [r, g, b] = [0, 0, 0].map(() => Math.floor(random() * 256)) as [number, number, number];
  if (contentType === 'image/png' || contentType === 'image/*') return png1x1(r, g, b);
  if (contentType === 'image/gif') {
    return Buffer.from([
      ...Buffer.from('GIF89a'),
      1,
      0,
      1,
      0,
      0x80,
      0,
      0,
      r,
      g,
      b,
      0,
      0,
      0,
      0x2c,
      0,
      0,
      0,
      0,
      1,
      0,
      1,
      0,
      0,
      2,
      2,
      0x44,
      1,
      0,
      0x3b,
    ]);
  }
  if (contentType === 'image/svg+xml') {
    return Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1" fill="rgb(${r},${g},${b})"/></svg>\n`,
    );
  }
  return Buffer.from(`titan emulator media ${id} (${contentType})\n`);
}

function png1x1(r: number, g: number, b: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  // One scanline (filter 0 + RGB) in a stored (uncompressed) deflate block, with its Adler-32.
  const raw = Buffer.from([0, r, g, b]);
  const adler = adler32(raw);
  const zlib = Buffer.from([
    0x78,
    0x01,
    1,
    4,
    0,
    0xfb,
    0xff,
    ...raw,
    adler >>> 24,
    (adler >>> 16) & 255,
    (adler >>> 8) & 255,
    adler & 255,
  ]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
