/** Emulator options with every default filled in, checked once at start. */
import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../core/errors.js';
import { templateProblems } from './templates.js';
import {
  ALL_SCOPES,
  CREATE_STATUSES,
  FEATURES,
  LIST_META,
  REFUSED_UPDATE_STATUSES,
  type EmulatorOptions,
  type EmulatorToken,
} from './types.js';

export type ResolvedOptions = Required<
  Omit<EmulatorOptions, 'dataDir' | 'onListPage' | 'log' | 'templates' | 'tokens'>
> &
  Pick<EmulatorOptions, 'dataDir' | 'onListPage' | 'log' | 'templates'> & {
    tokens: EmulatorToken[];
  };

export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const tokens =
    options.tokens === undefined || options.tokens.length === 0
      ? [{ token: `titan-emu-${randomBytes(16).toString('hex')}`, scopes: [...ALL_SCOPES] }]
      : (options.tokens as EmulatorToken[]);
  const resolved: ResolvedOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    dataDir: options.dataDir,
    tokens,
    listShape: options.listShape ?? 'array',
    listMeta: options.listMeta ?? 'pagination',
    listItems: options.listItems ?? 'full',
    listDeleted: options.listDeleted ?? false,
    maxPageSize: options.maxPageSize ?? 100,
    updateMethod: options.updateMethod ?? 'both',
    refusedUpdateStatus: options.refusedUpdateStatus ?? 405,
    disabledFeatures: options.disabledFeatures ?? [],
    createStatus: options.createStatus ?? 201,
    allowUnknownFields: options.allowUnknownFields ?? false,
    rateLimit: options.rateLimit ?? 0,
    retryAfter: options.retryAfter ?? false,
    latencyMs: options.latencyMs ?? 0,
    faultRate: options.faultRate ?? 0,
    throttleRate: options.throttleRate ?? 0,
    dropAfterCommit: options.dropAfterCommit ?? 0,
    hangRate: options.hangRate ?? 0,
    lateCommitMs: options.lateCommitMs ?? 0,
    queueDelayMs: options.queueDelayMs ?? 200,
    urlDurationMs: options.urlDurationMs ?? 300,
    recordsPerUrl: options.recordsPerUrl ?? 2,
    violationRate: options.violationRate ?? 0,
    scheduler: options.scheduler ?? true,
    quiet: options.quiet ?? false,
    log: options.log,
    now: options.now ?? (() => new Date()),
    random: options.random ?? Math.random,
    templates: options.templates,
    previewQuota: options.previewQuota ?? 20,
    editDuringList: options.editDuringList ?? 0,
    onListPage: options.onListPage,
  };
  checkOptions(resolved);
  return resolved;
}

function checkOptions(o: ResolvedOptions): void {
  const problems: string[] = [];
  const integer = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name} must be an integer from ${min} to ${max}`);
  };
  const share = (name: string, value: number): void => {
    if (!(value >= 0 && value <= 1)) problems.push(`${name} must be a number from 0 to 1`);
  };
  integer('port', o.port, 0, 65535);
  integer('maxPageSize', o.maxPageSize, 1);
  integer('rateLimit', o.rateLimit, 0);
  integer('latencyMs', o.latencyMs, 0);
  integer('lateCommitMs', o.lateCommitMs, 0);
  integer('queueDelayMs', o.queueDelayMs, 0);
  integer('urlDurationMs', o.urlDurationMs, 0);
  integer('recordsPerUrl', o.recordsPerUrl, 0);
  integer('previewQuota', o.previewQuota, 0);
  integer('editDuringList', o.editDuringList, 0);
  share('faultRate', o.faultRate);
  share('throttleRate', o.throttleRate);
  share('dropAfterCommit', o.dropAfterCommit);
  share('hangRate', o.hangRate);
  share('violationRate', o.violationRate);
  if (!['array', 'object'].includes(o.listShape)) problems.push('listShape must be array or object');
  if (!['full', 'summary'].includes(o.listItems)) problems.push('listItems must be full or summary');
  if (!(LIST_META as readonly string[]).includes(o.listMeta))
    problems.push(`listMeta must be one of ${LIST_META.join(', ')}`);
  if (!(CREATE_STATUSES as readonly number[]).includes(o.createStatus))
    problems.push(`createStatus must be one of ${CREATE_STATUSES.join(', ')}`);
  if (o.templates !== undefined) problems.push(...templateProblems(o.templates).map((p) => `templates${p}`));
  if (!['patch', 'put', 'both'].includes(o.updateMethod))
    problems.push('updateMethod must be patch, put or both');
  if (!(REFUSED_UPDATE_STATUSES as readonly number[]).includes(o.refusedUpdateStatus))
    problems.push(`refusedUpdateStatus must be one of ${REFUSED_UPDATE_STATUSES.join(', ')}`);
  for (const feature of o.disabledFeatures)
    if (!(FEATURES as readonly string[]).includes(feature))
      problems.push(`disabledFeatures: unknown feature "${feature}" (known: ${FEATURES.join(', ')})`);
  for (const { token } of o.tokens) {
    if (!/^[\x21-\x7e]+$/.test(token)) problems.push('tokens must be printable ASCII without spaces');
  }
  if (problems.length > 0) throw new InvalidInputError(`Invalid emulator options: ${problems.join('; ')}.`);
}
