/**
 * What `titan apply` shows while it runs and when it ends. Pure: events and reports in, text out. The CLI picks
 * the live line (TTY) or one line per finished change (logs, CI).
 */
import { formatDuration, formatElapsed } from '../core/duration.js';
import type { ChangeAction } from '../core/plan/model.js';
import { ACTION_SYMBOL } from './plan-shared.js';
import { style } from './table.js';

export type ChangeStatus = 'done' | 'failed' | 'not-attempted';

/** The result of one planned change. */
export interface ChangeResult {
  action: ChangeAction;
  key: string;
  /** For a move: the key it had. */
  fromKey?: string;
  /** Remote id after the change (the new one for create/replace). */
  id?: string;
  status: ChangeStatus;
  /** Why it failed. */
  error?: string;
  /** A create whose answer was lost was found on the service instead of being sent again. */
  settled?: boolean;
}

export interface ApplyReport {
  results: ChangeResult[];
  durationMs: number;
  /** Set when a signal stopped the apply. */
  interrupted?: 'SIGINT' | 'SIGTERM';
  /** Writes whose outcome is still unknown; the next run settles them from the journal. */
  unsettled: number;
  lockfile: { path: string; serial: number; changed: boolean };
}

interface RenderOptions {
  color?: boolean;
}

const VERB: Record<ChangeAction, string> = {
  create: 'created',
  update: 'updated',
  replace: 'replaced',
  delete: 'deleted',
  adopt: 'adopted',
  move: 'moved',
  noop: 'unchanged',
};

const INFINITIVE: Record<ChangeAction, string> = {
  create: 'create',
  update: 'update',
  replace: 'replace',
  delete: 'delete',
  adopt: 'adopt',
  move: 'move',
  noop: 'check',
};

function subject(result: ChangeResult): string {
  const key = result.fromKey !== undefined ? `${result.fromKey} → ${result.key}` : result.key;
  return result.id !== undefined ? `${key} (${result.id})` : key;
}

/** One line per finished change: `+ created prices (t-1) [3/10]`, `✗ failed to update prices: …`. */
export function renderChangeLine(
  result: ChangeResult,
  done: number,
  total: number,
  options: RenderOptions = {},
): string {
  const counter = `[${done}/${total}]`;
  if (result.status === 'failed') {
    const line = `✗ failed to ${INFINITIVE[result.action]} ${subject(result)}: ${result.error ?? 'unknown error'}`;
    return `${options.color ? style.red(line) : line} ${counter}`;
  }
  const note = result.settled ? ' (found on the service after a lost answer; not sent twice)' : '';
  const line = `${ACTION_SYMBOL[result.action]} ${VERB[result.action]} ${subject(result)}${note}`;
  return `${options.color ? colourFor(result.action)(line) : line} ${counter}`;
}

function colourFor(action: ChangeAction): (text: string) => string {
  if (action === 'create' || action === 'adopt') return style.green;
  if (action === 'delete' || action === 'replace') return style.red;
  return style.yellow;
}

/** The live TTY line: `Applying [########------------] 8/20 · 1 failed · 0:07`. */
export function renderProgressLine(
  progress: { done: number; failed: number; total: number; elapsedMs: number; stopping?: string },
  width = 80,
): string {
  const barWidth = Math.max(10, Math.min(30, width - 50));
  const finished = progress.done + progress.failed;
  const filled = progress.total === 0 ? barWidth : Math.round((finished / progress.total) * barWidth);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}`;
  const parts = [`Applying [${bar}] ${finished}/${progress.total}`];
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  parts.push(formatElapsed(progress.elapsedMs));
  if (progress.stopping !== undefined) parts.push(progress.stopping);
  return parts.join(' · ');
}

/** Counts by action of the changes that were done. */
function doneSummary(results: readonly ChangeResult[]): string {
  const counts = new Map<ChangeAction, number>();
  for (const r of results) if (r.status === 'done') counts.set(r.action, (counts.get(r.action) ?? 0) + 1);
  const order: ChangeAction[] = ['create', 'update', 'replace', 'delete', 'adopt', 'move'];
  const parts = order.filter((a) => counts.has(a)).map((a) => `${counts.get(a)} ${VERB[a]}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing changed';
}

/** The final report: done / failed / not attempted, the failures, and what to do next. */
export function renderApplyReport(report: ApplyReport, options: RenderOptions = {}): string {
  const failed = report.results.filter((r) => r.status === 'failed');
  const skipped = report.results.filter((r) => r.status === 'not-attempted');
  const done = report.results.filter((r) => r.status === 'done');
  const ok = failed.length === 0 && skipped.length === 0 && report.interrupted === undefined;
  const head = report.interrupted
    ? `Apply interrupted (${report.interrupted})`
    : ok
      ? 'Apply complete'
      : 'Apply failed';
  const counts = `${done.length} done (${doneSummary(report.results)}), ${failed.length} failed, ${skipped.length} not attempted`;
  const title = `${head}: ${counts} in ${formatDuration(report.durationMs)}.`;
  const lines = [options.color ? (ok ? style.green(title) : style.red(title)) : title];
  for (const r of failed)
    lines.push(`  ✗ ${INFINITIVE[r.action]} ${subject(r)}: ${r.error ?? 'unknown error'}`);
  if (skipped.length > 0) {
    const shown = skipped.slice(0, 20).map((r) => `${INFINITIVE[r.action]} ${r.key}`);
    const more = skipped.length > 20 ? `, and ${skipped.length - 20} more` : '';
    lines.push(`  not attempted: ${shown.join(', ')}${more}`);
  }
  if (report.unsettled > 0) {
    lines.push(
      `  ${report.unsettled} write(s) ended without an answer; they are recorded in the journal and the next ` +
        'titan apply settles them by looking the tasks up.',
    );
  }
  const lockNote = report.lockfile.changed
    ? `${report.lockfile.path} updated (serial ${report.lockfile.serial}); commit it.`
    : `${report.lockfile.path} unchanged.`;
  lines.push(lockNote);
  if (!ok) lines.push('Every change that was made is recorded. Fix the cause and run titan apply again.');
  return `${lines.join('\n')}\n`;
}
