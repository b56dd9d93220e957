/** Paths into a manifest document: JSON pointers for data, dotted paths for people. Pure. */
import { parsePointer } from '../json.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

const escapeSegment = (segment: PathSegment): string =>
  String(segment).replace(/~/g, '~0').replace(/\//g, '~1');

/** `['spec', 'urls', 0]` → `/spec/urls/0` (RFC 6901). */
export const toPointer = (path: Path): string => path.map((s) => `/${escapeSegment(s)}`).join('');

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['spec', 'urls', 0]` → `spec.urls[0]`: how messages name a place. */
export function displayPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? 'the document' : out;
}

/** True when `path` starts with `prefix`. */
export const startsWithPath = (path: Path, prefix: Path): boolean =>
  prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));

/** Converts pointer segments to a path whose array indexes are numbers, guided by the data. */
export function pathFromPointer(root: unknown, pointer: string): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = root;
  for (const segment of parsePointer(pointer)) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      path.push(Number(segment));
      node = node[Number(segment)];
    } else {
      path.push(segment);
      node =
        typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}
