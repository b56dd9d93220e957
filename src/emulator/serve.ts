/**
 * `titan emulator`: turns command-line flags into emulator options (pure, with clear errors), starts the server,
 * prints one line with its URL, and serves until told to stop.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError, OperationalError } from '../core/errors.js';
import { createEmulator } from './index.js';
import { templateProblems } from './templates.js';
import {
  ALL_SCOPES,
  CREATE_STATUSES,
  FEATURES,
  LIST_META,
  REFUSED_UPDATE_STATUSES,
  type EmulatorOptions,
  type Feature,
  type EmulatorToken,
  type TemplateDefinition,
} from './types.js';

/** The flags as yargs hands them over (numbers as strings, so bad values get a precise message). */
export interface EmulatorFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  token?: string[];
  listShape?: string;
  listItems?: string;
  listMeta?: string;
  listDeleted?: boolean;
  maxPageSize?: string;
  updateMethod?: string;
  refusedUpdateStatus?: string;
  disableFeature?: string[];
  createStatus?: string;
  allowUnknownFields?: boolean;
  rateLimit?: string;
  retryAfter?: boolean;
  latency?: string;
  faultRate?: string;
  throttleRate?: string;
  dropAfterCommit?: string;
  hangRate?: string;
  lateCommit?: string;
  queueDelay?: string;
  urlDuration?: string;
  recordsPerUrl?: string;
  violations?: string;
  previewQuota?: string;
  templates?: string;
  editDuringList?: string;
  scheduler?: boolean;
  quiet?: boolean;
}

export function parseEmulatorFlags(flags: EmulatorFlags): EmulatorOptions {
  const options: EmulatorOptions = {
    host: flags.host ?? '127.0.0.1',
    port: integerFlag('--port', flags.port, 0, 65535) ?? 4010,
    listDeleted: flags.listDeleted ?? false,
    allowUnknownFields: flags.allowUnknownFields ?? false,
    retryAfter: flags.retryAfter ?? false,
    scheduler: flags.scheduler ?? true,
    quiet: flags.quiet ?? false,
  };
  if (flags.dataDir !== undefined) {
    if (flags.dataDir.trim() === '') throw new InvalidInputError('--data-dir needs a folder path.');
    options.dataDir = flags.dataDir;
  }
  if (flags.token !== undefined) {
    if (flags.token.length === 0) throw new InvalidInputError('--token needs TOKEN or TOKEN:scope,scope.');
    options.tokens = flags.token.map(parseTokenFlag);
  }
  const listShape = choiceFlag('--list-shape', flags.listShape, ['array', 'object'] as const);
  if (listShape) options.listShape = listShape;
  const listItems = choiceFlag('--list-items', flags.listItems, ['full', 'summary'] as const);
  if (listItems) options.listItems = listItems;
  const listMeta = choiceFlag('--list-meta', flags.listMeta, LIST_META);
  if (listMeta) options.listMeta = listMeta;
  const updateMethod = choiceFlag('--update-method', flags.updateMethod, ['patch', 'put', 'both'] as const);
  if (updateMethod) options.updateMethod = updateMethod;
  const refused = choiceFlag(
    '--refused-update-status',
    flags.refusedUpdateStatus,
    REFUSED_UPDATE_STATUSES.map(String),
  );
  if (refused) options.refusedUpdateStatus = Number(refused) as (typeof REFUSED_UPDATE_STATUSES)[number];
  if (flags.disableFeature !== undefined) {
    options.disabledFeatures = flags.disableFeature
      .flatMap((raw) => raw.split(','))
      .map((raw) => choiceFlag('--disable-feature', raw.trim(), FEATURES) as Feature);
  }
  const createStatus = choiceFlag('--create-status', flags.createStatus, ['200', '201', '202'] as const);
  if (createStatus) options.createStatus = Number(createStatus) as (typeof CREATE_STATUSES)[number];
  const numbers: [keyof EmulatorOptions, string, string | undefined, number][] = [
    ['maxPageSize', '--max-page-size', flags.maxPageSize, 1],
    ['rateLimit', '--rate-limit', flags.rateLimit, 0],
    ['latencyMs', '--latency', flags.latency, 0],
    ['lateCommitMs', '--late-commit', flags.lateCommit, 0],
    ['queueDelayMs', '--queue-delay', flags.queueDelay, 0],
    ['urlDurationMs', '--url-duration', flags.urlDuration, 0],
    ['recordsPerUrl', '--records-per-url', flags.recordsPerUrl, 0],
    ['previewQuota', '--preview-quota', flags.previewQuota, 0],
    ['editDuringList', '--edit-during-list', flags.editDuringList, 0],
  ];
  for (const [key, name, raw, min] of numbers) {
    const value = integerFlag(name, raw, min);
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  const shares: [keyof EmulatorOptions, string, string | undefined][] = [
    ['faultRate', '--fault-rate', flags.faultRate],
    ['throttleRate', '--throttle-rate', flags.throttleRate],
    ['dropAfterCommit', '--drop-after-commit', flags.dropAfterCommit],
    ['hangRate', '--hang-rate', flags.hangRate],
    ['violationRate', '--violations', flags.violations],
  ];
  for (const [key, name, raw] of shares) {
    const value = shareFlag(name, raw);
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  return options;
}

/** `TOKEN` (every scope) or `TOKEN:scope,scope` (only those; `TOKEN:` for none). */
export function parseTokenFlag(raw: string): EmulatorToken {
  const colon = raw.indexOf(':');
  const token = colon === -1 ? raw : raw.slice(0, colon);
  if (!/^[\x21-\x7e]+$/.test(token) || token.includes(':')) {
    throw new InvalidInputError(
      '--token needs TOKEN or TOKEN:scope,scope (printable characters, no spaces).',
    );
  }
  if (colon === -1) return { token, scopes: [...ALL_SCOPES] };
  const scopes = raw
    .slice(colon + 1)
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  for (const scope of scopes) {
    if (!(ALL_SCOPES as readonly string[]).includes(scope)) {
      throw new InvalidInputError(`--token: unknown scope "${scope}"; scopes are ${ALL_SCOPES.join(', ')}.`);
    }
  }
  return { token, scopes };
}

function integerFlag(
  name: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidInputError(`${name} must be a whole number ${range}, not "${text}".`);
  }
  return value;
}

function shareFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidInputError(`${name} must be a share from 0 to 1 (e.g. 0.2), not "${text}".`);
  }
  return value;
}

function choiceFlag<T extends string>(
  name: string,
  raw: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new InvalidInputError(`${name} must be one of ${choices.join(', ')}, not "${raw}".`);
  }
  return raw as T;
}

export interface ServeIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopRequested: Promise<unknown>;
}

/** `--templates FILE`: a JSON array of templates added to the built-ins, checked with every problem named. */
export async function readTemplatesFile(file: string): Promise<TemplateDefinition[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `--templates: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--templates: ${file} is not valid JSON (${(error as Error).message}).`);
  }
  const problems = templateProblems(value);
  if (problems.length > 0) {
    throw new InvalidInputError(
      `--templates: ${file} is not a usable list of templates:\n${problems.map((p) => `  ${file}${p}`).join('\n')}`,
      'Each template needs slug, name and action_type (search, crawl, scrape, api_call); description, id and defaults are optional.',
    );
  }
  return value as TemplateDefinition[]; // checked by templateProblems
}

/** Starts the emulator, prints where it listens, serves until a stop is requested, then closes cleanly. */
export async function serveEmulator(flags: EmulatorFlags, io: ServeIO): Promise<void> {
  const options = parseEmulatorFlags(flags);
  if (flags.templates !== undefined) options.templates = await readTemplatesFile(flags.templates);
  options.log = (line) => io.stderr.write(`${line}\n`);
  let emulator;
  try {
    emulator = await createEmulator(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new OperationalError(
        `Cannot listen on ${options.host}:${options.port} (${code}).`,
        'Pick another --port (0 picks a free one).',
      );
    }
    throw error;
  }
  const madeUpToken = options.tokens === undefined;
  io.stdout.write(
    `Titan emulator listening on ${emulator.url}${madeUpToken ? ` (token: ${emulator.token})` : ''}\n`,
  );
  await io.stopRequested;
  await emulator.close();
}
