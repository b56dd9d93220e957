/**
 * Human renderings of the runtime API's data: executions, results metadata, datasets, media, templates and the
 * progress of a run. Pure: data in, text out.
 */
import { formatDuration, formatElapsed } from '../core/duration.js';
import type {
  Dataset,
  Execution,
  ExecutionStatus,
  MediaItem,
  ResultsMetadata,
  Template,
} from '../core/service/types.js';
import { renderKeyValues, renderTable, style, type Column } from './table.js';

export interface RenderOptions {
  color?: boolean;
}

/** Task id → manifest key, for showing keys instead of ids where titan knows them. */
export type TaskKeys = ReadonlyMap<string, string>;

export function renderStatus(status: ExecutionStatus | string, color = false): string {
  if (!color) return status;
  switch (status) {
    case 'completed':
      return style.green(status);
    case 'completed_with_errors':
    case 'paused':
      return style.yellow(status);
    case 'failed':
    case 'cancelled':
      return style.red(status);
    default:
      return style.cyan(status);
  }
}

/** `3/10 URLs, 1 failed`, or `—` when the service did not report counts. */
export function renderUrlProgress(execution: Execution): string {
  if (execution.urls_total === undefined) return '—';
  const done = `${execution.urls_done ?? 0}/${execution.urls_total} URLs`;
  return execution.urls_failed ? `${done}, ${execution.urls_failed} failed` : done;
}

export function renderExecutionsTable(
  executions: readonly Execution[],
  keys: TaskKeys = new Map(),
  options: RenderOptions = {},
): string {
  if (executions.length === 0) return 'No executions.\n';
  const columns: Column<Execution>[] = [
    { header: 'EXECUTION', value: (e) => e.id },
    { header: 'TASK', value: (e) => keys.get(e.task_id) ?? e.task_id },
    { header: 'STATUS', value: (e) => renderStatus(e.status, options.color) },
    {
      header: 'URLS',
      value: (e) => (e.urls_total === undefined ? '—' : `${e.urls_done ?? 0}/${e.urls_total}`),
      align: 'right',
    },
    { header: 'FAILED', value: (e) => String(e.urls_failed ?? '—'), align: 'right' },
    { header: 'CREATED', value: (e) => renderTime(e.created_at) },
    { header: 'FINISHED', value: (e) => renderTime(e.finished_at) },
  ];
  return renderTable(columns, executions, options);
}

export function renderExecutionDetail(
  execution: Execution,
  key?: string,
  options: RenderOptions = {},
): string {
  const duration = spanOf(execution.started_at, execution.finished_at);
  return renderKeyValues(
    [
      ['Execution', execution.id],
      ['Task', key === undefined ? execution.task_id : `${key} (${execution.task_id})`],
      ['Status', renderStatus(execution.status, options.color)],
      ['URLs', execution.urls_total === undefined ? undefined : renderUrlProgress(execution)],
      ['Created', renderTime(execution.created_at)],
      ['Started', execution.started_at ? renderTime(execution.started_at) : undefined],
      ['Finished', execution.finished_at ? renderTime(execution.finished_at) : undefined],
      ['Duration', duration === undefined ? undefined : formatDuration(duration)],
      ['Error', execution.error ?? undefined],
    ],
    options,
  );
}

export function renderResultsMetadata(meta: ResultsMetadata, options: RenderOptions = {}): string {
  return renderKeyValues(
    [
      ['Execution', meta.execution_id],
      ['Status', meta.status === undefined ? undefined : renderStatus(meta.status, options.color)],
      ['Ready', meta.ready === undefined ? undefined : meta.ready ? 'yes' : 'no'],
      ['Records', meta.record_count === undefined ? undefined : String(meta.record_count)],
      ['Formats', Array.isArray(meta.formats) ? meta.formats.join(', ') : undefined],
      ['Completed', meta.completed_at ? renderTime(meta.completed_at) : undefined],
    ],
    options,
  );
}

export function renderDatasetsTable(
  datasets: readonly Dataset[],
  keys: TaskKeys = new Map(),
  options: RenderOptions = {},
): string {
  if (datasets.length === 0) return 'No datasets.\n';
  const columns: Column<Dataset>[] = [
    { header: 'DATASET', value: (d) => d.id },
    { header: 'NAME', value: (d) => d.name, maxWidth: 40 },
    { header: 'RECORDS', value: (d) => String(d.record_count), align: 'right' },
    { header: 'EXECUTION', value: (d) => d.execution_id },
    { header: 'TASK', value: (d) => keys.get(d.task_id) ?? d.task_id },
    { header: 'CREATED', value: (d) => renderTime(d.created_at) },
  ];
  return renderTable(columns, datasets, options);
}

export function renderMediaTable(items: readonly MediaItem[], options: RenderOptions = {}): string {
  if (items.length === 0) return 'No media.\n';
  const columns: Column<MediaItem>[] = [
    { header: 'MEDIA', value: (m) => m.id },
    { header: 'TYPE', value: (m) => m.content_type },
    { header: 'SIZE', value: (m) => formatBytes(m.size), align: 'right' },
    { header: 'URL', value: (m) => m.url },
  ];
  return renderTable(columns, items, options);
}

export function renderTemplatesTable(templates: readonly Template[], options: RenderOptions = {}): string {
  if (templates.length === 0) return 'No templates.\n';
  const columns: Column<Template>[] = [
    { header: 'SLUG', value: (t) => t.slug },
    { header: 'NAME', value: (t) => t.name, maxWidth: 32 },
    { header: 'ACTION', value: (t) => t.action_type },
    { header: 'ID', value: (t) => t.id },
    { header: 'DESCRIPTION', value: (t) => t.description ?? '', maxWidth: 60 },
  ];
  return renderTable(columns, templates, options);
}

export function renderTemplateDetail(template: Template, options: RenderOptions = {}): string {
  const head = renderKeyValues(
    [
      ['Slug', template.slug],
      ['Name', template.name],
      ['Id', template.id],
      ['Action', template.action_type],
      ['Description', template.description || undefined],
    ],
    options,
  );
  const defaults = JSON.stringify(template.defaults ?? {}, null, 2).replace(/^/gm, '  ');
  return `${head}Defaults:\n${defaults}\n`;
}

/** The live line redrawn on a TTY while waiting: `running · 3/10 URLs, 1 failed · 0:42 · <id>`. */
export function renderProgressLine(
  execution: Execution,
  elapsedMs: number,
  options: RenderOptions = {},
): string {
  return [
    renderStatus(execution.status, options.color),
    renderUrlProgress(execution),
    formatElapsed(elapsedMs),
    execution.id,
  ].join(' · ');
}

/** One line per status change when stderr is not a TTY (CI logs): `[0:42] running · 3/10 URLs`. */
export function renderProgressEvent(execution: Execution, elapsedMs: number): string {
  return `[${formatElapsed(elapsedMs)}] ${execution.status} · ${renderUrlProgress(execution)}`;
}

/** `--json` output: the service's data as it came (key order kept: schema property order means CSV column order). */
export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `512 B`, `1.5 kB`, `23.4 MB` (decimal units, like most file browsers). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `2025-01-01 00:01:00Z` from an ISO-8601 timestamp (seconds are enough on a terminal); `—` when absent. */
export function renderTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso);
  return match ? `${match[1]} ${match[2]}${match[3] ?? ''}` : iso;
}

function spanOf(start: string | null | undefined, end: string | null | undefined): number | undefined {
  if (!start || !end) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
