/**
 * Bundles relative `$ref`s of an output schema: each reference to a JSON or YAML file of the repository (with an
 * optional `#/json/pointer`) is replaced by that file's content, recursively, so the Task Service receives one
 * self-contained schema. Local references (`#/$defs/x`) of the manifest's own schema stay as written; those inside
 * referenced files are inlined too (they would mean something else once moved). Cycles, files outside the
 * boundary, manifests, unreadable files and bad pointers are diagnostics at the `$ref`; problems inside a
 * referenced file are diagnostics in that file. A `$ref` whose value came from the environment is secret: no
 * message shows it or the files it leads to. Pure: files come from a reader.
 */
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { isJsonObject, parsePointer, setOwn, type JsonObject, type JsonValue } from '../json.js';
import { SENSITIVE } from '../sensitive.js';
import { Code } from './codes.js';
import { quote } from './describe.js';
import { toPointer, type Path, type PathSegment } from './paths.js';
import { DRAFT_2020_12 } from './schema-port.js';
import { holdsSchemas, subschemas } from './schema-walk.js';
import { parseYamlDocuments, type Locator, type ParseLimits } from './yaml.js';

export type RefRead =
  | { ok: true; text: string }
  | {
      ok: false;
      reason: 'not-found' | 'not-a-file' | 'too-large' | 'unreadable' | 'outside';
      detail?: string;
    };

/** Where referenced files may be: the git repository holding the workspace, else the workspace. */
export interface RefBoundary {
  /** Absolute path. */
  root: string;
  kind: 'repository' | 'workspace';
}

export interface RefContext {
  boundary: RefBoundary;
  /** Reads a referenced file by absolute path. */
  read(absolutePath: string): RefRead;
  /** How diagnostics name a file (relative to the working directory when inside it). */
  displayFile(absolutePath: string): string;
  limits: ParseLimits;
  /** Parsed referenced files, shared by every document of one load. */
  cache: Map<string, RefFile>;
}

export type RefFile =
  | { kind: 'schema'; value: JsonValue; locator: Locator }
  /** Unusable as a whole (missing, a manifest…): reported at each `$ref` naming it. */
  | { kind: 'unusable'; code: string; reason: string }
  /** Broken inside: reported once, in the file. */
  | { kind: 'broken'; problems: Diagnostic[] };

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

export interface BundleOrigin {
  /** Absolute path of the manifest. */
  absFile: string;
  locator: Locator;
  /** Where the schema sits in the manifest document. */
  path: Path;
  /** True when the value at a document path came from the environment. */
  isSensitive(path: Path): boolean;
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
  /**
   * Set once a `$ref` from the environment was followed: the files it leads to have secret names, so every
   * diagnostic about them points at that `$ref` in the manifest and names no file.
   */
  secretRef?: { docPath: PathSegment[]; outPath: PathSegment[] };
}

interface State {
  origin: BundleOrigin;
  basePath: Path;
  regions: Region[];
  diagnostics: Diagnostic[];
  files: Set<string>;
  expansions: number;
}

export function bundleSchema(schema: JsonValue, origin: BundleOrigin, ctx: RefContext): Bundled {
  const state: State = {
    origin,
    basePath: origin.path,
    regions: [],
    diagnostics: [],
    files: new Set(),
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
  const out = expand(schema, site, ctx, state);
  return { schema: out, regions: state.regions, diagnostics: state.diagnostics, files: [...state.files] };
}

function expand(node: JsonValue, site: Site, ctx: RefContext, state: State): JsonValue {
  if (!isJsonObject(node)) return node;
  const ref = node.$ref;
  if (typeof ref === 'string' && !(ref.startsWith('#') && site.fileRoot === undefined) && !hasScheme(ref)) {
    return inline(node, ref, site, ctx, state);
  }
  return expandChildren(node, site, ctx, state);
}

function expandChildren(node: JsonObject, site: Site, ctx: RefContext, state: State): JsonObject {
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    const cloned = holdsSchemas(key)
      ? Array.isArray(value)
        ? [...value]
        : isJsonObject(value)
          ? { ...value }
          : value
      : value;
    setOwn(copy, key, cloned);
  }
  for (const slot of subschemas(node)) {
    const child: Site = {
      ...site,
      docPath: [...site.docPath, ...slot.path],
      outPath: [...site.outPath, ...slot.path],
    };
    setAt(copy, slot.path, expand(slot.schema, child, ctx, state));
  }
  return copy;
}

/** One `$ref` being inlined: how messages may name it. */
interface RefUse {
  ref: string;
  /** `"./schemas/x.json"`, or `(sensitive)`. */
  shown: string;
  secret: boolean;
  /** How messages name a file: its display name, or nothing when secret. */
  fileName(absolute: string): string;
}

function inline(node: JsonObject, ref: string, site: Site, ctx: RefContext, state: State): JsonValue {
  const secret =
    site.secretRef !== undefined ||
    (site.fileRoot === undefined && state.origin.isSensitive([...site.docPath, '$ref']));
  const use: RefUse = {
    ref,
    shown: secret ? `$ref ${SENSITIVE}` : `$ref ${quote(ref)}`,
    secret,
    fileName: (absolute) => (secret ? 'the file' : ctx.displayFile(absolute)),
  };
  const fail = (code: string, message: string, hint?: string): JsonValue => {
    report(state, site, ctx, { code, message, ...(hint ? { hint } : {}) });
    return node;
  };
  if (++state.expansions > MAX_EXPANSIONS) {
    return state.expansions === MAX_EXPANSIONS + 1
      ? fail(Code.refLimit, `the schema inlines more than ${MAX_EXPANSIONS} $refs; titan stops bundling here`)
      : node;
  }
  const target = resolveTarget(ref, site, ctx, state, use);
  if ('code' in target) return fail(target.code, target.message, target.hint);
  const { absolute, fragment } = target;
  const key = `${absolute}#${fragment}`;
  if (site.chain.includes(key)) {
    const cycle = secret
      ? 'through a $ref whose value is (sensitive)'
      : [...site.chain.slice(site.chain.indexOf(key)), key].map((k) => displayRef(k, ctx)).join(' → ');
    return fail(
      Code.refCycle,
      `$ref cycle: ${cycle}`,
      'a bundled schema cannot refer to itself; keep recursive schemas inline in the manifest',
    );
  }
  state.files.add(absolute);
  const file = readRefFile(absolute, ctx);
  if (file.kind === 'unusable')
    return fail(
      file.code,
      `${use.shown}: ${file.reason}${secret ? '' : ` (${use.fileName(absolute)})`}`,
      refHint(file.code),
    );
  if (file.kind === 'broken') {
    if (secret) return fail(Code.refInvalid, `${use.shown}: the file is not a valid schema file`);
    for (const problem of file.problems) state.diagnostics.push(problem);
    return node;
  }
  const resolved = resolvePointer(file.value, parsePointer(fragment));
  if (resolved === undefined)
    return fail(
      Code.refPointer,
      `${use.shown}: ${use.fileName(absolute)} has nothing at #${secret ? '…' : fragment}`,
    );
  if (!isJsonObject(resolved.value) && typeof resolved.value !== 'boolean')
    return fail(Code.refInvalid, `${use.shown} does not point at a JSON Schema (an object)`);
  return merge(node, resolved, { absolute, key, file, secret }, site, ctx, state);
}

/** The file and pointer a `$ref` names, or why it cannot be followed. */
function resolveTarget(
  ref: string,
  site: Site,
  ctx: RefContext,
  state: State,
  use: RefUse,
): { absolute: string; fragment: string } | { code: string; message: string; hint?: string } {
  const hash = ref.indexOf('#');
  const filePart = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? '' : ref.slice(hash + 1);
  if (fragment !== '' && !fragment.startsWith('/')) {
    return {
      code: Code.refUnsupported,
      message: `${use.shown} uses an anchor; titan bundles file references with JSON pointers only`,
      hint: 'write it as file.json#/$defs/name',
    };
  }
  let absolute: string;
  try {
    absolute =
      filePart === '' ? site.absFile : path.resolve(path.dirname(site.absFile), decodeURIComponent(filePart));
  } catch {
    return { code: Code.refInvalid, message: `${use.shown} is not a valid relative reference` };
  }
  if (absolute === state.origin.absFile) {
    return {
      code: Code.refManifest,
      message: `${use.shown} points at this manifest file itself; a $ref names a schema file`,
      hint: 'move the schema to its own file (e.g. schemas/product.json) and refer to that, or use "#/$defs/name" inside this schema',
    };
  }
  if (!isInside(ctx.boundary.root, absolute)) return outside(ctx, absolute, use);
  return { absolute, fragment };
}

function outside(
  ctx: RefContext,
  absolute: string,
  use: RefUse,
): { code: string; message: string; hint: string } {
  const target = use.secret ? '' : ` (${ctx.displayFile(absolute)})`;
  return ctx.boundary.kind === 'repository'
    ? {
        code: Code.refOutsideWorkspace,
        message: `${use.shown} points outside the git repository ${ctx.displayFile(ctx.boundary.root)}${target}`,
        hint: 'titan bundles only files versioned with the manifests: copy the schema into the repository',
      }
    : {
        code: Code.refOutsideWorkspace,
        message: `${use.shown} points outside the workspace ${ctx.displayFile(ctx.boundary.root)}${target}, and no git repository encloses it`,
        hint: 'keep schemas inside the workspace, name a folder above with --workspace, or put the workspace in a git repository',
      };
}

const isInside = (root: string, absolute: string): boolean => {
  const relative = path.relative(root, absolute);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
};

/** Places the referenced content where the `$ref` was, keeping the `$ref`'s sibling keywords. */
function merge(
  node: JsonObject,
  resolved: { value: JsonValue; path: PathSegment[] },
  target: { absolute: string; key: string; file: { value: JsonValue; locator: Locator }; secret: boolean },
  site: Site,
  ctx: RefContext,
  state: State,
): JsonValue {
  const content = isJsonObject(resolved.value) ? withoutBundleMetadata(resolved.value) : resolved.value;
  const siblings = Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref')) as JsonObject;
  const mode =
    isJsonObject(content) && Object.keys(siblings).every((k) => !(k in content))
      ? 'merge'
      : Object.keys(siblings).length === 0
        ? 'replace'
        : 'allOf';
  const priorAllOf = Array.isArray(siblings.allOf) ? siblings.allOf.length : 0;
  const landing: PathSegment[] = mode === 'allOf' ? [...site.outPath, 'allOf', priorAllOf] : site.outPath;
  const inner: Site = {
    absFile: target.absolute,
    locator: target.file.locator,
    docPath: resolved.path,
    outPath: landing,
    fileRoot: target.file.value,
    chain: [...site.chain, target.key],
    ...(target.secret
      ? { secretRef: site.secretRef ?? { docPath: site.docPath, outPath: site.outPath } }
      : {}),
  };
  if (!target.secret)
    state.regions.push({
      at: landing,
      file: ctx.displayFile(target.absolute),
      filePath: resolved.path,
      locator: target.file.locator,
    });
  const expanded = expand(content, inner, ctx, state);
  const rest = expandChildren(siblings, site, ctx, state);
  if (mode === 'replace') return expanded;
  if (mode === 'merge') return { ...(expanded as JsonObject), ...rest };
  return { ...rest, allOf: [...(Array.isArray(rest.allOf) ? rest.allOf : []), expanded] };
}

/** A diagnostic at the current `$ref` (or, past a secret `$ref`, at that one in the manifest). */
function report(
  state: State,
  site: Site,
  ctx: RefContext,
  finding: { code: string; message: string; hint?: string },
): void {
  const at = site.secretRef ?? site;
  const locator = site.secretRef ? state.origin.locator : site.locator;
  const file = site.secretRef ? state.origin.absFile : site.absFile;
  state.diagnostics.push({
    code: finding.code,
    severity: 'error',
    message: finding.message,
    file: ctx.displayFile(file),
    ...locator.at([...at.docPath, '$ref'], 'value'),
    path: toPointer([...state.basePath, ...at.outPath, '$ref']),
    ...(finding.hint ? { hint: finding.hint } : {}),
  });
}

const refHint = (code: string): string | undefined =>
  code === Code.refManifest
    ? 'move the shared schema to its own file (e.g. schemas/product.json) and refer to it from each manifest'
    : undefined;

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
  outside: 'the file resolves (through a link) outside the folder $refs may read',
};

function parseRefFile(target: string, ctx: RefContext): RefFile {
  const display = ctx.displayFile(target);
  const read = ctx.read(target);
  if (!read.ok) {
    return {
      kind: 'unusable',
      code:
        read.reason === 'not-found'
          ? Code.refNotFound
          : read.reason === 'outside'
            ? Code.refOutsideWorkspace
            : Code.refInvalid,
      reason: `${REASONS[read.reason]}${read.detail ? `: ${read.detail}` : ''}`,
    };
  }
  const parsed = parseYamlDocuments(read.text, display, ctx.limits);
  const documents = parsed.documents.filter((d) => !d.empty);
  if (documents.some((d) => d.manifestShaped)) {
    return {
      kind: 'unusable',
      code: Code.refManifest,
      reason: 'the file is a titan manifest (it has apiVersion, kind, metadata or spec), not a schema',
    };
  }
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) return { kind: 'broken', problems: errors };
  const [only, second] = documents;
  if (only?.value === undefined || second !== undefined) {
    return {
      kind: 'broken',
      problems: [
        {
          code: Code.refInvalid,
          severity: 'error',
          message: `the file holds ${documents.length} YAML documents; a referenced schema holds exactly one`,
          file: display,
          ...(second?.locator.start ?? { line: 1, column: 1 }),
        },
      ],
    };
  }
  return { kind: 'schema', value: only.value, locator: only.locator };
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
    else setOwn(container, String(second), value);
  }
}

const hasScheme = (ref: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(ref);

const displayRef = (key: string, ctx: RefContext): string => {
  const hash = key.indexOf('#');
  const fragment = key.slice(hash + 1);
  return `${ctx.displayFile(key.slice(0, hash))}${fragment ? `#${fragment}` : ''}`;
};
