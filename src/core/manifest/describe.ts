/** How messages show values and types to a person. Pure. */
import { SENSITIVE } from '../sensitive.js';

/** A short rendering of a value for "(got …)": scalars quoted, collections named. */
export function describeValue(value: unknown, sensitive = false): string {
  if (sensitive) return SENSITIVE;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}

/** JSON-quoted, cut to a readable length. */
export function quote(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max - 1)}…` : s);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

export const typeName = (type: string): string => TYPE_NAMES[type] ?? type;

export function jsonType(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `['a', 'b', 'c']` → `a, b or c`. */
export function joinOr(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** A key-shaped version of a name: `Product Prices` → `product-prices`. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}
