/**
 * Bundles relative `$ref`s of an output schema: each reference to a JSON or YAML file of the workspace (with an
 * optional `#/json/pointer`) is replaced by that file's content, recursively, so the Task Service receives one
 * self-contained schema. Local references (`#/$defs/x`) of the manifest's own schema stay as written; those inside
 * referenced files are inlined too (they would mean something else once moved). Cycles, files outside the
 * workspace, unreadable files and bad pointers are diagnostics at the `$ref`. Pure: files come from a reader.
 */
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../json.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import { parsePointer, toPointer, type Path, type PathSegment } from './paths.js';
import { DRAFT_2020_12 } from './schema-port.js';
import { holdsSchemas, subschemas } from './schema-walk.js';
import { parseYamlDocuments, type Locator, type ParseLimits } from './yaml.js';

export type RefRead =
  | { ok: true; text: string }
  | {
      ok: false;
      reason: 'not-found' | 'not-a-file' | 'too-large' | 'unreadable' | 'outside-workspace';
      detail?: string;
    };

export interface RefContext {
  /** Absolute path; referenced files must be inside it. */
  workspaceRoot: string;
  /** Reads a referenced file by absolute path. */
  read(absolutePath: string): RefRead;
  /** How diagnostics name a file (relative to the working directory when inside it). */
  displayFile(absolutePath: string): string;
  limits: ParseLimits;
  /** Parsed referenced files, shared by every document of one load. */
  cache: Map<string, RefFile>;
}

export type RefFile =
  { ok: true; value: JsonValue; locator: Locator } | { ok: false; code: string; message: string };

/** A part of the bundled schema that came from a referenced file. */
export interface Region {
  /** Where the content sits in the bundled schema. */
  at: Path;
  /** Display name of the file. */
  file: string;
  /** Where the content sits in that file's document. */
  filePath: Path;
  locator: Locator;
}

export interface Bundled {
  schema: JsonValue;
  regions: Region[];
  diagnostics: Diagnostic[];
  /** Absolute paths of every file referenced (these are schemas, not manifests). */
  files: string[];
}

/** Upper bound on inlined references per schema: a few files referencing each other twice would otherwise explode. */
const MAX_EXPANSIONS = 1000;

interface Site {
  absFile: string;
  locator: Locator;
  /** Path of the current node in its file's document. */
  docPath: PathSegment[];
  /** Path of the current node in the bundled schema. */
  outPath: PathSegment[];
  /** The file's whole document, for local references; undefined in the manifest (local refs stay). */
  fileRoot: JsonValue | undefined;
  /** Reference chain being expanded (`file#pointer`), for cycle detection. */
  chain: string[];
}

export function bundleSchema(
  schema: JsonValue,
  origin: { absFile: string; locator: Locator; path: Path },
  ctx: RefContext,
): Bundled {
  const state = {
    regions: [] as Region[],
    diagnostics: [] as Diagnostic[],
    files: new Set<string>(),
    expansions: 0,
  };
  const site: Site = {
    absFile: origin.absFile,
    locator: origin.locator,
    docPath: [...origin.path],
    outPath: [],
    fileRoot: undefined,
    chain: [],
  };
  const out = expand(schema, site, ctx, state, origin.path);
  return { schema: out, regions: state.regions, diagnostics: state.diagnostics, files: [...state.files] };
}

interface State {
  regions: Region[];
  diagnostics: Diagnostic[];
  files: Set<string>;
  expansions: number;
}

function expand(node: JsonValue, site: Site, ctx: RefContext, state: State, basePath: Path): JsonValue {
  if (!isJsonObject(node)) return node;
  const ref = node.$ref;
  if (typeof ref === 'string' && !(ref.startsWith('#') && site.fileRoot === undefined) && !hasScheme(ref)) {
    return inline(node, ref, site, ctx, state, basePath);
  }
  return expandChildren(node, site, ctx, state, basePath);
}

function expandChildren(
  node: JsonObject,
  site: Site,
  ctx: RefContext,
  state: State,
  basePath: Path,
): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    const cloned = holdsSchemas(key)
      ? Array.isArray(value)
        ? [...value]
        : isJsonObject(value)
          ? { ...value }
          : value
      : value;
    Object.defineProperty(copy, key, { value: cloned, enumerable: true, writable: true, configurable: true });
  }
  for (const slot of subschemas(node)) {
    const child: Site = {
      ...site,
      docPath: [...site.docPath, ...slot.path],
      outPath: [...site.outPath, ...slot.path],
    };
    setAt(copy, slot.path, expand(slot.schema, child, ctx, state, basePath));
  }
  return copy;
}

function inline(
  node: JsonObject,
  ref: string,
  site: Site,
  ctx: RefContext,
  state: State,
  basePath: Path,
): JsonValue {
  const fail = (code: string, message: string, hint?: string): JsonValue => {
    state.diagnostics.push({
      code,
      severity: 'error',
      message,
      file: ctx.displayFile(site.absFile),
      ...site.locator.at([...site.docPath, '$ref'], 'value'),
      path: toPointer([...basePath, ...site.outPath, '$ref']),
      ...(hint ? { hint } : {}),
    });
    return node;
  };
  if (++state.expansions > MAX_EXPANSIONS) {
    return state.expansions === MAX_EXPANSIONS + 1
      ? fail(Code.refLimit, `the schema inlines more than ${MAX_EXPANSIONS} $refs; titan stops bundling here`)
      : node;
  }
  const hash = ref.indexOf('#');
  const filePart = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? '' : ref.slice(hash + 1);
  if (fragment !== '' && !fragment.startsWith('/')) {
    return fail(
      Code.refUnsupported,
      `$ref ${quote(ref)} uses an anchor; titan bundles file references with JSON pointers only`,
      'write it as file.json#/$defs/name',
    );
  }
  let target: string;
  try {
    target =
      filePart === '' ? site.absFile : path.resolve(path.dirname(site.absFile), decodeURIComponent(filePart));
  } catch {
    return fail(Code.refInvalid, `$ref ${quote(ref)} is not a valid relative reference`);
  }
  const relative = path.relative(ctx.workspaceRoot, target);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return fail(
      Code.refOutsideWorkspace,
      `$ref ${quote(ref)} points outside the workspace ${ctx.displayFile(ctx.workspaceRoot)} (${ctx.displayFile(target)})`,
      'keep schemas inside the workspace, versioned with the manifests; if the workspace is a folder above, name it with --workspace',
    );
  }
  const key = `${target}#${fragment}`;
  if (site.chain.includes(key)) {
    const cycle = [...site.chain.slice(site.chain.indexOf(key)), key]
      .map((k) => displayRef(k, ctx))
      .join(' → ');
    return fail(
      Code.refCycle,
      `$ref cycle: ${cycle}`,
      'a bundled schema cannot refer to itself; keep recursive schemas inline in the manifest',
    );
  }
  state.files.add(target);
  const file = readRefFile(target, ctx);
  if (!file.ok) return fail(file.code, `$ref ${quote(ref)}: ${file.message}`);
  const fragmentPath = parsePointer(fragment);
  const resolved = resolvePointer(file.value, fragmentPath);
  if (resolved === undefined) {
    return fail(
      Code.refPointer,
      `$ref ${quote(ref)}: ${ctx.displayFile(target)} has nothing at #${fragment}`,
    );
  }
  if (!isJsonObject(resolved.value) && typeof resolved.value !== 'boolean') {
    return fail(Code.refInvalid, `$ref ${quote(ref)} does not point at a JSON Schema (an object)`);
  }
  const content = isJsonObject(resolved.value) ? withoutBundleMetadata(resolved.value) : resolved.value;
  const siblings = Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref')) as JsonObject;
  const merge =
    isJsonObject(content) && Object.keys(siblings).every((k) => !(k in content))
      ? 'merge'
      : Object.keys(siblings).length === 0
        ? 'replace'
        : 'allOf';
  const priorAllOf = Array.isArray(siblings.allOf) ? siblings.allOf.length : 0;
  const landing: PathSegment[] = merge === 'allOf' ? [...site.outPath, 'allOf', priorAllOf] : site.outPath;
  const inner: Site = {
    absFile: target,
    locator: file.locator,
    docPath: resolved.path,
    outPath: landing,
    fileRoot: file.value,
    chain: [...site.chain, key],
  };
  state.regions.push({
    at: landing,
    file: ctx.displayFile(target),
    filePath: resolved.path,
    locator: file.locator,
  });
  const expanded = expand(content, inner, ctx, state, basePath);
  const rest = expandChildren(siblings, site, ctx, state, basePath);
  if (merge === 'replace') return expanded;
  if (merge === 'merge') return { ...(expanded as JsonObject), ...rest };
  return { ...rest, allOf: [...(Array.isArray(rest.allOf) ? rest.allOf : []), expanded] };
}

/** `$schema` (when it is draft 2020-12) and `$id` of a referenced file describe the file, not the bundled subschema. */
function withoutBundleMetadata(schema: JsonObject): JsonObject {
  const copy: JsonObject = { ...schema };
  if (typeof copy.$schema === 'string' && copy.$schema.replace(/#$/, '') === DRAFT_2020_12)
    delete copy.$schema;
  delete copy.$id;
  return copy;
}

function readRefFile(target: string, ctx: RefContext): RefFile {
  const cached = ctx.cache.get(target);
  if (cached) return cached;
  const file = parseRefFile(target, ctx);
  ctx.cache.set(target, file);
  return file;
}

const REASONS: Record<Exclude<RefRead, { ok: true }>['reason'], string> = {
  'not-found': 'no such file',
  'not-a-file': 'not a file',
  'too-large': 'the file is too large',
  unreadable: 'the file cannot be read',
  'outside-workspace': 'the file resolves (through a link) outside the workspace',
};

function parseRefFile(target: string, ctx: RefContext): RefFile {
  const display = ctx.displayFile(target);
  const read = ctx.read(target);
  if (!read.ok) {
    return {
      ok: false,
      code:
        read.reason === 'not-found'
          ? Code.refNotFound
          : read.reason === 'outside-workspace'
            ? Code.refOutsideWorkspace
            : Code.refInvalid,
      message: `${REASONS[read.reason]} (${display})${read.detail ? `: ${read.detail}` : ''}`,
    };
  }
  const parsed = parseYamlDocuments(read.text, display, ctx.limits);
  const error = parsed.diagnostics.find((d) => d.severity === 'error');
  if (error)
    return {
      ok: false,
      code: Code.refInvalid,
      message: `${display}:${error.line ?? 1}:${error.column ?? 1}: ${error.message}`,
    };
  const documents = parsed.documents.filter((d) => !d.empty);
  if (documents.length !== 1 || documents[0]?.value === undefined) {
    return {
      ok: false,
      code: Code.refInvalid,
      message: `${display} holds ${documents.length} documents; a referenced schema holds exactly one`,
    };
  }
  return { ok: true, value: documents[0].value, locator: documents[0].locator };
}

function resolvePointer(
  root: JsonValue,
  segments: string[],
): { value: JsonValue; path: PathSegment[] } | undefined {
  let node: JsonValue | undefined = root;
  const out: PathSegment[] = [];
  for (const segment of segments) {
    if (Array.isArray(node) && /^\d+$/.test(segment)) {
      node = node[Number(segment)];
      out.push(Number(segment));
    } else if (isJsonObject(node) && Object.prototype.hasOwnProperty.call(node, segment)) {
      node = node[segment];
      out.push(segment);
    } else return undefined;
    if (node === undefined) return undefined;
  }
  return node === undefined ? undefined : { value: node, path: out };
}

function setAt(target: JsonObject, slotPath: PathSegment[], value: JsonValue): void {
  const [first, second] = slotPath;
  if (slotPath.length === 1) target[String(first)] = value;
  else {
    const container = target[String(first)] as JsonObject | JsonValue[];
    if (Array.isArray(container)) container[Number(second)] = value;
    else
      Object.defineProperty(container, String(second), {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
}

const hasScheme = (ref: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(ref);

const displayRef = (key: string, ctx: RefContext): string => {
  const hash = key.indexOf('#');
  const fragment = key.slice(hash + 1);
  return `${ctx.displayFile(key.slice(0, hash))}${fragment ? `#${fragment}` : ''}`;
};
